"""The registry: one engine object per engine, the URL parsed by the engine its scheme names, the two
password rules, and the steps' requests passed the same way for the dump and the restore."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from duplicity_cron.databases import ENGINES, engine_for, parse_database_url, password_for
from duplicity_cron.databases.steps import (
    DUMP_VARIABLE,
    RESTORE_VARIABLE,
    DumpRequest,
    RestoreDumpRequest,
    dump_shell,
    restore_shell,
)
from duplicity_cron.model import Task

PG = "postgresql://backup:Url-Secret@db:5433/shop?sslmode=require"


def test_every_scheme_names_one_engine() -> None:
    assert [engine.name for engine in ENGINES] == ["postgresql", "mariadb", "mysql", "sqlite"]
    assert engine_for("postgres") is engine_for("POSTGRESQL") is engine_for(parse_database_url(PG))
    assert engine_for("MariaDB").name == "mariadb" and engine_for("mariadb").password_variable == "MYSQL_PWD"
    assert engine_for("postgresql").password_variable == "PGPASSWORD"
    assert engine_for("SQLite").name == "sqlite" and engine_for("sqlite").local_files
    assert not engine_for("postgresql").local_files and not engine_for("mariadb").local_files
    with pytest.raises(ValueError, match="no database engine 'oracle'"):
        engine_for("oracle")
    assert engine_for("MySQL").name == "mysql" and engine_for("mysql").password_variable == "MYSQL_PWD"
    assert engine_for(parse_database_url("mysql://backup@db:3306/shop")).image == "mysql"


def test_the_task_password_is_database_password_else_the_urls() -> None:
    url = parse_database_url(PG)
    assert Task("db", {}, database_url=url).server_password == "Url-Secret"
    assert Task("db", {}, database_url=url, database_password="Own-1").server_password == "Own-1"
    assert Task("db", {}).server_password is None


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("postgresql://u:Its-Own@other/", {"PGPASSWORD": "x"}, "Its-Own"),
        ("postgresql://u@other/", {"PGPASSWORD": "x"}, None),
        ("postgresql://u@other/", {"MYSQL_PWD": "x"}, "Task-Pw"),
        ("mariadb://u@other/", {"MYSQL_PWD": "x"}, None),
        ("mariadb://u@other/", {}, "Task-Pw"),
    ],
)
def test_another_servers_password(url: str, env: dict[str, str], expected: str | None) -> None:
    assert password_for(parse_database_url(url), "Task-Pw", env) == expected


def test_a_dump_request_goes_through_the_environment_with_its_password_once() -> None:
    task = Task("db", {}, database_url=parse_database_url(PG), databases=("shop", "!x"))
    request = DumpRequest.for_task(task)
    env = request.to_env()
    assert list(env) == [DUMP_VARIABLE] and env[DUMP_VARIABLE].count("Url-Secret") == 1
    back = DumpRequest.from_env(env)
    unsaid = replace(request.url, password=None)  # the request's password is the one the client gets
    assert (back.url, back.databases, back.password) == (unsaid, ("shop", "!x"), "Url-Secret")
    assert back.url.option("sslmode") == "require" and back.url.password is None
    assert "Url-Secret" not in repr(request)
    assert dump_shell().endswith("-m duplicity_cron.databases.dump") and dump_shell().startswith("exec ")


def test_a_restore_request_goes_through_the_environment_the_same_way(tmp_path: Path) -> None:
    request = RestoreDumpRequest(
        "drill", parse_database_url(PG), "Pw-2", tmp_path, ("a",), True, "db", "0a1b"
    )
    env = request.to_env()
    assert list(env) == [RESTORE_VARIABLE] and "Url-Secret" not in env[RESTORE_VARIABLE]
    back = RestoreDumpRequest.from_env(env)
    unsaid = replace(request.url, password=None)
    assert back == RestoreDumpRequest("drill", unsaid, "Pw-2", tmp_path, ("a",), True, "db", "0a1b")
    assert "Pw-2" not in repr(request)
    assert restore_shell().endswith("-m duplicity_cron.databases.restore")
    # the deployment's id is quoted in the drill's SQL as it is: anything but hex is refused
    damaged = env[RESTORE_VARIABLE].replace('"0a1b"', '"x\'; DROP DATABASE shop; --"')
    with pytest.raises(ValueError, match="not a deployment id"):
        RestoreDumpRequest.from_env({RESTORE_VARIABLE: damaged})
