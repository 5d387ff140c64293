"""A dump is a success only when its stream holds what the server listed: a client that exits 0 after
writing half of its output, or nothing, fails the run with a line naming the database and the table
(or the missing last line); the tables whose data a client leaves out by design do not. Shims named
pg_dump / mariadb-dump, first on PATH, run the real client and cut its output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..database_servers import MARIADB_PASSWORD, PG_PASSWORD, MariaDB, Postgres
from .conftest import require
from .databases import MARIADB_SETUP, pg_setup, serve


def _keep_manifest(tmp_path: Path) -> str:
    """A LOAD that copies the dump's manifest out of $SRC (emptied after the run)."""
    return f'cp "$SRC/manifest.json" {tmp_path}/manifest.json'


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")
    yield from serve(Postgres(), pg_setup)


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")
    yield from serve(MariaDB(), lambda server: server.sql(MARIADB_SETUP))


def _shim(tmp_path: Path, name: str, body: str) -> dict[str, str]:
    """A script `name` first on PATH: `--version` (and, for mariadb-dump, the users' dump) goes to the
    real client, a database's dump to `body` (the real one is "$REAL")."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    real = f"/usr/bin/{name}"
    (folder / name).write_text(
        f'#!/bin/sh\nREAL={real}\ncase " $* " in *" --version "*|*" --system=users "*) exec "$REAL" "$@";; '
        f"esac\n{body}\nexit 0\n"
    )
    (folder / name).chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def _last_error(output: str) -> str:
    """The run's error: the step's last line, just before the run's own `failed` line."""
    lines = output.splitlines()
    assert "run failed" in lines[-1] and "error: " in lines[-2], output
    return lines[-2]


def _pg_env(server: Postgres, databases: str) -> dict[str, str]:
    return {
        "TASK_pg_DATABASE_URL": f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{server.port}/",
        "TASK_pg_DATABASES": databases,
        "TASK_pg_LOAD": "echo LOAD RAN",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"$REAL" "$@" | head -c 300000', "database 'shop', table sales.bulk: the server lists it, but "
         "its data in pg_dump's output is not whole (cut short, or there twice)"),
        ("", "database 'shop', table sales.audit: the server lists it, but its data in pg_dump's "
         "output is not in it"),
        ("\"$REAL\" \"$@\" | sed '/^-- PostgreSQL database dump complete/,$d'",
         "database 'shop': pg_dump's output ends before its last line "
         "'-- PostgreSQL database dump complete'"),
    ],
    ids=["cut", "nothing", "no-last-line"],
)  # fmt: skip
def test_a_pg_dump_that_exits_0_with_half_a_dump_fails_the_run(cli, tmp_path, postgres, body, expected):
    env = {**_pg_env(postgres, "shop"), **_shim(tmp_path, "pg_dump", body)}
    run = cli("exec", "pg", env=env, timeout=120)
    assert run.returncode != 0, run.output
    assert expected in _last_error(run.output), run.output
    assert "nothing was backed up" in _last_error(run.output)
    assert "LOAD RAN" not in run.output and "failed step extract" in run.output


def test_tables_whose_data_pg_dump_leaves_out_by_design_pass(cli, tmp_path, postgres) -> None:
    """An extension's own table, a partitioned table, a materialized view: no data in the dump, and
    the run succeeds; a table without columns has its rows counted (pg_dump's `COPY t  FROM stdin;`)."""
    postgres.sql("DROP DATABASE IF EXISTS kinds WITH (FORCE); CREATE DATABASE kinds;")
    postgres.sql(
        "CREATE EXTENSION hstore; CREATE TABLE member (x int); INSERT INTO member VALUES (1);"
        "ALTER EXTENSION hstore ADD TABLE member;"
        "CREATE TABLE bare (); INSERT INTO bare DEFAULT VALUES; INSERT INTO bare DEFAULT VALUES;"
        "CREATE TABLE parted (x int) PARTITION BY RANGE (x);"
        "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);"
        "INSERT INTO parted VALUES (3);"
        "CREATE MATERIALIZED VIEW counted AS SELECT 1 AS one; CREATE UNLOGGED TABLE quick (x int);",
        "kinds",
    )
    env = {**_pg_env(postgres, "kinds"), "TASK_pg_LOAD": _keep_manifest(tmp_path)}
    run = cli("exec", "pg", env=env, timeout=120)
    assert run.returncode == 0, run.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    rows = {t["name"]: t["rows"] for t in manifest["databases"][0]["tables"]}
    assert rows == {"bare": 2, "counted": None, "member": None, "parted": None, "parted_1": 1, "quick": 0}


def _my_env(server: MariaDB, databases: str) -> dict[str, str]:
    return {
        "TASK_my_DATABASE_URL": f"mariadb://backup@127.0.0.1:{server.port}/",
        "TASK_my_DATABASE_PASSWORD": MARIADB_PASSWORD,
        "TASK_my_DATABASES": databases,
        "TASK_my_LOAD": "echo LOAD RAN",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"$REAL" "$@" | head -c 4000', "database 'shop', table shop.audit: the server lists it, but its "
         "data in mariadb-dump's output is not whole (cut short, or there twice)"),
        ("", "database 'shop', table shop.audit: the server lists it, but its data in mariadb-dump's "
         "output is not in it"),
        ('"$REAL" "$@" | grep -v "^-- Dump completed"',
         "database 'shop': mariadb-dump's output ends before its last line '-- Dump completed'"),
    ],
    ids=["cut", "nothing", "no-last-line"],
)  # fmt: skip
def test_a_mariadb_dump_that_exits_0_with_half_a_dump_fails_the_run(cli, tmp_path, mariadb, body, expected):
    env = {**_my_env(mariadb, "shop"), **_shim(tmp_path, "mariadb-dump", body)}
    run = cli("exec", "my", env=env, timeout=120)
    assert run.returncode != 0, run.output
    assert expected in _last_error(run.output), run.output
    assert "LOAD RAN" not in run.output and "failed step extract" in run.output


def test_a_mariadb_table_dropped_between_the_listing_and_the_dump_is_a_warning(cli, tmp_path, mariadb):
    """MariaDB's tables are listed before the dump, not in its snapshot: one dropped meanwhile is not
    in the dump, and is named in a warning, not a failure (listed again to tell)."""
    mariadb.sql(
        "DROP DATABASE IF EXISTS doomed; CREATE DATABASE doomed; CREATE TABLE doomed.keep (x INT);"
        "INSERT INTO doomed.keep VALUES (1); CREATE TABLE doomed.gone (x INT);"
    )
    drop = f"mariadb --no-defaults -uroot --socket={mariadb.socket} -e 'DROP TABLE IF EXISTS doomed.gone'"
    env = {**_my_env(mariadb, "doomed"), **_shim(tmp_path, "mariadb-dump", f'{drop}\nexec "$REAL" "$@"')}
    env["TASK_my_LOAD"] = _keep_manifest(tmp_path)
    run = cli("exec", "my", env=env, timeout=120)
    assert run.returncode == 0, run.output
    assert "warning: database 'doomed', table gone: dropped during the dump, not in it" in run.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [(t["name"], t["rows"]) for t in manifest["databases"][0]["tables"]] == [("keep", 1)]
