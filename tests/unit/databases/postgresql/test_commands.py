from __future__ import annotations

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.postgresql import commands as pg

URL = parse_database_url("postgresql://admin:Secret-Pw@db.example:6432/?sslmode=require&connect_timeout=3")


def _all_argv(*commands: pg.ClientCommand) -> str:
    return " ".join(word for command in commands for word in command.argv)


def test_the_password_goes_in_the_environment_never_in_argv() -> None:
    commands = [
        pg.server_version_command(URL, "Secret-Pw"),
        pg.server_and_databases_command(URL, "Secret-Pw"),
        pg.globals_command(URL, "Secret-Pw"),
        pg.snapshot_session_command(URL, "Secret-Pw", "shop"),
        pg.dump_command(URL, "Secret-Pw", "shop", "00000003-1"),
    ]
    assert "Secret-Pw" not in _all_argv(*commands)
    assert all(c.env == {"PGPASSWORD": "Secret-Pw"} for c in commands)
    assert pg.server_version_command(URL, None).env == {}


def test_conninfo_carries_the_url_and_its_options_quoted() -> None:
    assert pg.conninfo(URL, "it's") == (
        "dbname='it\\'s' host='db.example' port='6432' user='admin' connect_timeout='3' sslmode='require'"
    )
    assert pg.conninfo(parse_database_url("postgresql:///")) == "dbname='postgres' connect_timeout='10'"


def test_each_database_is_dumped_from_the_snapshot_with_its_create() -> None:
    dump = pg.dump_command(URL, None, "shop", "00000003-1")
    assert dump.argv[:5] == ["pg_dump", "--no-password", "--format=plain", "--create", "-d"]
    assert dump.argv[-1] == "--snapshot=00000003-1"
    assert pg.globals_command(URL, None).argv[:3] == ["pg_dumpall", "--globals-only", "--no-password"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("pg_dump (PostgreSQL) 17.6 (Debian 17.6-1.pgdg13+1)", (17, 6)), ("pg_dump (PostgreSQL) 18.0", (18, 0))],
)
def test_client_versions(text: str, expected: tuple[int, int]) -> None:
    assert pg.parse_client_version(text) == expected


def test_server_versions() -> None:
    assert pg.parse_server_version("150018 PostgreSQL 15.18 on x86_64")[0] == (15, 18)
    assert pg.parse_server_version("90624 PostgreSQL 9.6.24") == ((9, 6), "PostgreSQL 9.6.24")
    with pytest.raises(ValueError):
        pg.parse_server_version("psql: error")
