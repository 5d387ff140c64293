from __future__ import annotations

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.mariadb import commands as my

URL = parse_database_url('mariadb://backup:Se"c\\ret@db:3307/?ssl-ca=/etc/ca.pem')


def test_every_setting_is_in_the_option_file_and_none_in_argv() -> None:
    text = my.option_file_text(URL, 'Se"c\\ret')
    assert text == (
        '[client]\nhost="db"\nport="3307"\nuser="backup"\npassword="Se\\"c\\\\ret"\nssl-ca="/etc/ca.pem"\n'
        '[mysql]\nconnect-timeout="10"\n'
    )
    commands = [
        my.server_version_command("/private/f.cnf"),
        my.list_databases_command("/private/f.cnf"),
        my.globals_command("/private/f.cnf"),
        my.dump_command("/private/f.cnf", "shop"),
    ]
    for command in commands:
        assert command.argv[1] == "--defaults-extra-file=/private/f.cnf"  # it must come first
        assert "Se" not in " ".join(command.argv) and "db" not in command.argv


def test_a_socket_path_is_a_socket() -> None:
    assert 'socket="/run/mysqld/mysqld.sock"' in my.option_file_text(
        parse_database_url("mariadb://root@%2Frun%2Fmysqld%2Fmysqld.sock/"), None
    )


def test_the_dump_is_one_snapshot_with_routines_events_triggers() -> None:
    dump = my.dump_command("/f.cnf", "shop")
    assert {"--single-transaction", "--routines", "--events", "--triggers"} <= set(dump.argv)
    assert dump.argv[-2:] == ["--databases", "shop"]
    assert "--comments" in dump.argv  # its last line, `-- Dump completed`, whatever an option file says
    assert my.globals_command("/f.cnf").argv[2:] == ["--system=users", "--insert-ignore"]


def test_versions_and_system_schemas() -> None:
    assert my.parse_client_version("mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian") == (10, 11)
    assert my.parse_client_version("mariadb-dump from 11.8.3-MariaDB, client 10.19 for debian") == (11, 8)
    assert my.parse_server_version("11.4.2-MariaDB-ubu2404\n") == (11, 4)
    assert my.user_databases(["shop", "mysql", "sys", "information_schema", "performance_schema"]) == ["shop"]


@pytest.mark.parametrize(
    "version", ["11.8.3-MariaDB-1 from Debian", "10.11.6-MariaDB-0+deb12u1", "5.5.5-10.6.18-MariaDB-log"]
)
def test_a_mariadb_server_is_one(version: str) -> None:
    assert my.other_server(version) is None


@pytest.mark.parametrize("version", ["9.1.0", "8.0.36-0ubuntu0.22.04.1", "8.4.3\n"])
def test_a_mysql_server_is_not_one_and_says_so(version: str) -> None:
    assert my.other_server(version) == (
        f"the server is not MariaDB but MySQL (version {version.strip()}): a mariadb-dump backup of it "
        "cannot be restored; use a mysql:// URL (the duplicity-mysql image has MySQL's client)"
    )


def test_row_counts_in_one_snapshot_with_names_quoted() -> None:
    sql = my.count_rows_sql([("sh`op", "it'ems")])
    assert sql.startswith("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;")
    assert "FROM `sh``op`.`it'ems`" in sql and "'it\\'ems'" in sql


def test_rows_are_counted_in_the_dump_from_client_10_7() -> None:
    # 10.7 put one row a line in extended INSERTs (MDEV-25152); before, a whole INSERT is one line
    assert my.counts_rows_in_dump((10, 7)) and my.counts_rows_in_dump((11, 8))
    assert not my.counts_rows_in_dump((10, 6)) and not my.counts_rows_in_dump((10, 5))
