"""Drills that measure and check, on real PostgreSQL and MariaDB servers: VERIFY_SQL's true statements
pass, a false one fails the drill naming it, a statement that writes never reaches the real databases
(row for row; on MariaDB even naming the real database); the recovery time is recorded and shown by
`status --json`; VERIFY_MAX_TIME fails a drill whose data took longer to come back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ..database_servers import MariaDB, Postgres
from .conftest import require
from .databases import backup, pg_table_sums, serve, with_deployment
from .test_database_restore import pg_env, pg_reset
from .test_database_restore_mariadb import my_env, my_reset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")
    yield from serve(Postgres())


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")
    yield from serve(MariaDB())


def _last_verify(cli, env: dict[str, str], task: str) -> dict:  # type: ignore[no-untyped-def]
    shown = cli("status", "--json", env=env)
    assert shown.returncode == 0, shown.output
    entries = json.loads(shown.stdout)
    entries = entries if isinstance(entries, list) else entries.get("tasks", entries)
    return next(entry for entry in entries if entry["task"] == task)["last_verify"]


def test_postgres_drill_runs_verify_sql_on_its_scratch_copy_only(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    with_deployment(tmp_path)
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    real = {name: pg_table_sums(postgres, name) for name in ("shop", "wiki")}

    checks = (
        "shop: SELECT count(*) = 2001 FROM sales.items\n# a comment\nwiki: SELECT count(*) > 0 FROM pages"
    )
    passed = cli("verify", "pg", env={**env, "TASK_pg_VERIFY_SQL": checks}, timeout=300)
    assert passed.returncode == 0, passed.output
    assert "VERIFY_SQL line 1 (shop: SELECT count(*) = 2001 FROM sales.items): true on the scratch copy" in (
        passed.output
    )
    assert "VERIFY_SQL line 3 (wiki: SELECT count(*) > 0 FROM pages): true" in passed.output
    assert "every VERIFY_SQL statement (2) true; the data came back in " in passed.output
    drill = _last_verify(cli, env, "pg")
    assert drill["status"] == "succeeded" and drill["recovery_seconds"] > 0

    false = cli("verify", "pg", env={**env, "TASK_pg_VERIFY_SQL": "wiki: SELECT count(*) > 100 FROM pages"})
    assert false.returncode == 1, false.output
    assert (
        "verify failed: VERIFY_SQL line 1 (wiki: SELECT count(*) > 100 FROM pages) returned 'f', "
        "not a true value" in false.output
    )
    assert "failed step databases" in false.output

    writes = "wiki: INSERT INTO pages VALUES ('drill', 'x'); SELECT true\nshop: DELETE FROM sales.bulk"
    written = cli("verify", "pg", env={**env, "TASK_pg_VERIFY_SQL": writes}, timeout=300)
    assert written.returncode == 1, written.output
    assert "verify failed: VERIFY_SQL line " in written.output  # the first database's: shop's line 2
    assert "failed on the scratch copy of shop: running a VERIFY_SQL statement on dcv_pg_" in written.output
    assert "cannot execute DELETE in a read-only transaction" in written.output
    assert {name: pg_table_sums(postgres, name) for name in ("shop", "wiki")} == real
    assert [name for name in postgres.sql("SELECT datname FROM pg_database").split() if "dcv_" in name] == []


def test_postgres_drill_slower_than_verify_max_time_fails(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    with_deployment(tmp_path)
    env = pg_env(tmp_path, postgres, VERIFY_MAX_TIME="0.001s")
    backup(cli, "pg", env)
    slow = cli("verify", "pg", env=env, timeout=300)
    assert slow.returncode == 1, slow.output
    assert "verify failed: the data came back in " in slow.output
    assert "(the restore " in slow.output and ", the load into scratch databases " in slow.output
    assert "over VERIFY_MAX_TIME 0.001s" in slow.output and "failed step recovery" in slow.output
    drill = _last_verify(cli, env, "pg")
    assert drill["status"] == "failed" and drill["recovery_seconds"] > 0.001
    assert "over VERIFY_MAX_TIME 0.001s" in drill["verdict"]


def test_mariadb_drill_runs_verify_sql_on_its_scratch_copy_only(cli, tmp_path, mariadb) -> None:
    my_reset(mariadb)
    with_deployment(tmp_path)
    env = my_env(tmp_path, mariadb, DATABASES="shop wiki")
    backup(cli, "my", env)
    fingerprint = "SELECT COUNT(*), BIT_XOR(CRC32(CONCAT_WS('|', {}))) FROM {}"
    tables = {"shop.items": "id, name, price", "shop.legacy": "id, note", "wiki.pages": "title, body"}

    def real() -> dict[str, str]:
        return {table: mariadb.sql(fingerprint.format(cols, table)) for table, cols in tables.items()}

    before = real()
    checks = "shop: SELECT COUNT(*) = 2001 FROM items\nwiki: SELECT COUNT(*) FROM pages"
    passed = cli("verify", "my", env={**env, "TASK_my_VERIFY_SQL": checks}, timeout=300)
    assert passed.returncode == 0, passed.output
    assert "VERIFY_SQL line 2 (wiki: SELECT COUNT(*) FROM pages): true on the scratch copy of wiki" in (
        passed.output
    )
    assert _last_verify(cli, env, "my")["recovery_seconds"] > 0

    false = cli(
        "verify", "my", env={**env, "TASK_my_VERIFY_SQL": "shop: SELECT COUNT(*) FROM items WHERE id < 0"}
    )
    assert false.returncode == 1, false.output
    assert (
        "verify failed: VERIFY_SQL line 1 (shop: SELECT COUNT(*) FROM items WHERE id < 0) returned '0'"
        in (false.output)
    )

    for statement in (
        "shop: DELETE FROM items",
        "shop: INSERT INTO legacy VALUES (2, 'drill'); SELECT 1",
        "shop: DELETE FROM shop.items",  # the real database named: the session is read-only
        "wiki: DELETE FROM shop.legacy",  # MyISAM, no transactions
        "shop: UPDATE wiki.pages SET body = 'drill'",
    ):
        written = cli("verify", "my", env={**env, "TASK_my_VERIFY_SQL": statement}, timeout=300)
        assert written.returncode == 1, written.output
        assert "READ ONLY transaction" in written.output, written.output
        assert real() == before, statement
