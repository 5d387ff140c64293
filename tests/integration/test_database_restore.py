"""`restore TASK` and drills of a task with DATABASE_URL against real servers: backed up into a file://
TARGET, everything dropped (roles and users too), restored in one command, and every table's checksum,
every role/user and grant compared; the refusal without --drop, --drop, --database, --to-url into a
second server, --time; a drill passes, and fails on a dump that is not what its manifest says, and
leaves no scratch database behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from duplicity_cron.sources.common import scratch_prefix

from ..database_servers import MARIADB_PASSWORD, PG_PASSWORD, MariaDB, Postgres
from .backups import PASSPHRASE, places
from .conftest import require
from .databases import (
    MARIADB_SETUP,
    mariadb_drop_everything,
    mariadb_fingerprint,
    pg_fingerprint,
    pg_setup,
)

pytestmark = pytest.mark.slow
PG_DATABASES = "!scratch !postgres"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")
    server = Postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")
    server = MariaDB()
    try:
        yield server
    finally:
        server.stop()


def pg_reset(server: Postgres) -> None:
    """Everything of PG_SETUP dropped (databases, roles), then made again."""
    pg_wipe(server)
    pg_setup(server)


def pg_wipe(server: Postgres) -> None:
    for database in ("shop", "wiki", "scratch"):
        server.sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    server.sql("DROP ROLE IF EXISTS reader; DROP ROLE IF EXISTS readers; DROP ROLE IF EXISTS app_owner;")


def pg_databases(server: Postgres) -> list[str]:
    return server.sql("SELECT datname FROM pg_database ORDER BY 1").split()


def pg_env(tmp_path: Path, server: Postgres, **keys: str) -> dict[str, str]:
    where = places(tmp_path)
    password_file = tmp_path / "db-password"
    password_file.write_text(PG_PASSWORD + "\n")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        "TASK_pg_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{server.port}/",
        "TASK_pg_DATABASE_PASSWORD_FILE": str(password_file),
        "TASK_pg_DATABASES": PG_DATABASES,
        "TASK_pg_TARGET": where.url,
    }
    env.update({f"TASK_pg_{key}": value for key, value in keys.items()})
    return env


def without_postgres(fingerprint: dict[str, object]) -> dict[str, object]:
    """A fingerprint without the `postgres` role (each server has its own)."""
    roles = [line for line in str(fingerprint["roles"]).splitlines() if not line.startswith("postgres|")]
    return {**fingerprint, "roles": roles}


def backup(cli, task: str, env: dict[str, str]) -> None:
    run = cli("exec", task, env=env, timeout=180)
    assert run.returncode == 0, run.output


def test_postgres_restore_task_loads_everything_after_everything_was_dropped(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    before = pg_fingerprint(postgres)
    pg_wipe(postgres)

    restored = cli("restore", "pg", env=env, timeout=180)
    assert restored.returncode == 0, restored.output
    assert pg_fingerprint(postgres) == before
    assert "kept as they are (they exist): postgres" in restored.output
    assert "[pg/databases] restored database shop" in restored.output
    assert "restored the databases into postgresql://postgres@127.0.0.1:" in restored.output
    assert "ERROR" not in restored.output and PG_PASSWORD not in restored.output
    assert list((tmp_path / "work" / "pg" / "restores").iterdir()) == []  # the dump's folder is gone

    refused = cli("restore", "pg", env=env, timeout=180)
    assert refused.returncode == 2, refused.output
    assert "has database(s) shop, wiki already; add --drop to replace them" in refused.output
    unknown = cli("restore", "pg", "--database", "nope", env=env, timeout=180)
    assert unknown.returncode == 2, unknown.output
    assert "the dump holds no database 'nope'; it holds shop, wiki" in unknown.output

    postgres.sql("INSERT INTO pages VALUES ('after the backup', 'x')", "wiki")
    postgres.sql("DELETE FROM sales.bulk", "shop")
    dropped = cli("restore", "pg", "--database", "wiki", "--drop", env=env, timeout=180)
    assert dropped.returncode == 0, dropped.output
    assert "restored database wiki (dropped first)" in dropped.output
    assert "restored database shop" not in dropped.output
    assert postgres.sql("SELECT count(*) FROM pages", "wiki").strip() == "2"
    assert (
        postgres.sql("SELECT count(*) FROM sales.bulk", "shop").strip() == "0"
    )  # --database: shop untouched


def test_postgres_restore_to_url_into_a_second_server_and_at_a_time(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    older = pg_fingerprint(postgres)
    between = int(time.time()) + 1
    time.sleep(2)  # the next backup's time is later than `between`, at duplicity's one-second resolution
    postgres.sql("INSERT INTO pages VALUES ('newer', 'y')", "wiki")
    backup(cli, "pg", env)

    other = Postgres()
    try:
        url = f"postgresql://postgres@127.0.0.1:{other.port}/"
        with_password = cli(
            "restore", "pg", "--to-url", url.replace("postgres@", f"postgres:{PG_PASSWORD}@"), env=env
        )
        assert with_password.returncode == 2
        assert "--to-url holds a password" in with_password.output and PG_PASSWORD not in with_password.output

        restored = cli("restore", "pg", "--to-url", url, "--time", str(between), env=env, timeout=180)
        assert restored.returncode == 0, restored.output
        # the task's password (the same on both servers), the older data; `postgres` kept as it was there
        assert without_postgres(pg_fingerprint(other)) == without_postgres(older)
        assert other.sql("SELECT count(*) FROM pages", "wiki").strip() == "2"
        assert postgres.sql("SELECT count(*) FROM pages", "wiki").strip() == "3"
    finally:
        other.stop()


def test_postgres_drill_passes_drops_its_scratch_databases_and_a_leftover(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    leftover = f"{scratch_prefix('pg')}deadbeef_1_shop"
    postgres.sql(f"CREATE DATABASE {leftover}")
    before = pg_databases(postgres)

    drill = cli("verify", "pg", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert f"dropped scratch database {leftover}, left by an earlier drill" in drill.output
    assert "loaded database shop into dcv_pg_" in drill.output and "22,002 rows" in drill.output
    assert "every table's rows as its manifest counted" in drill.output
    assert pg_databases(postgres) == [name for name in before if name != leftover]
    assert not [name for name in pg_databases(postgres) if name.startswith("dcv_")]


def test_postgres_drill_on_verify_url(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    other = Postgres()
    try:
        url = f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{other.port}/"
        env = pg_env(tmp_path, postgres, VERIFY_URL=url)
        backup(cli, "pg", env)
        before = pg_databases(postgres)
        drill = cli("verify", "pg", env=env, timeout=300)
        assert drill.returncode == 0, drill.output
        assert f"scratch databases on postgresql://postgres@127.0.0.1:{other.port}/" in drill.output
        assert PG_PASSWORD not in drill.output
        assert pg_databases(postgres) == before
        assert not [name for name in pg_databases(other) if name.startswith("dcv_")]
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        # the manifest says wiki.pages had 3 rows; the dump holds 2
        (
            'sed -i \'s/"rows": 2,/"rows": 3,/\' "$SRC/manifest.json"',
            "verify failed: database 'wiki', table public.pages: 3 rows expected (the dump's manifest), "
            "2 found in the restore",
        ),
        # the dump of shop is cut short
        (
            'truncate -s 20000 "$SRC/databases/shop.sql.zst"',
            "verify failed: loading database 'shop' into dcv_pg_",
        ),
    ],
    ids=["manifest disagrees", "truncated dump"],
)
def test_postgres_drill_fails_on_a_dump_that_is_not_what_its_manifest_says(
    cli, tmp_path, postgres, transform, expected
) -> None:
    pg_reset(postgres)
    env = pg_env(tmp_path, postgres, TRANSFORM=transform)
    backup(cli, "pg", env)
    drill = cli("verify", "pg", env=env, timeout=300)
    assert drill.returncode == 1, drill.output
    assert expected in drill.output
    assert "failed step databases" in drill.output
    assert not [name for name in pg_databases(postgres) if name.startswith("dcv_")]


def my_env(tmp_path: Path, server: MariaDB, **keys: str) -> dict[str, str]:
    where = places(tmp_path)
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        "TASK_my_DATABASE_URL": f"mariadb://backup@127.0.0.1:{server.port}/",
        "TASK_my_DATABASE_PASSWORD": MARIADB_PASSWORD,
        "TASK_my_TARGET": where.url,
    }
    env.update({f"TASK_my_{key}": value for key, value in keys.items()})
    return env


def my_reset(server: MariaDB) -> None:
    server.sql(
        "DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS wiki; DROP USER IF EXISTS 'app'@'%'; "
        "DROP USER IF EXISTS 'reader'@'localhost';"
    )
    server.sql(MARIADB_SETUP)


def my_databases(server: MariaDB) -> list[str]:
    return server.sql("SHOW DATABASES").split()


def test_mariadb_restore_task_loads_everything_after_everything_was_dropped(cli, tmp_path, mariadb) -> None:
    my_reset(mariadb)
    env = my_env(tmp_path, mariadb)
    backup(cli, "my", env)
    before = mariadb_fingerprint(mariadb)
    mariadb_drop_everything(mariadb)

    restored = cli("restore", "my", env=env, timeout=180)
    assert restored.returncode == 0, restored.output
    assert mariadb_fingerprint(mariadb) == before
    assert "kept as they are (they exist): 'mariadb.sys'@'localhost', 'root'@'localhost'" in restored.output
    assert MARIADB_PASSWORD not in restored.output

    refused = cli("restore", "my", env=env, timeout=180)
    assert refused.returncode == 2, refused.output
    assert "has database(s) shop, wiki already; add --drop" in refused.output
    mariadb.sql("DELETE FROM shop.items")
    dropped = cli("restore", "my", "--drop", env=env, timeout=180)
    assert dropped.returncode == 0, dropped.output
    assert mariadb_fingerprint(mariadb) == before


def test_mariadb_drill_passes_and_fails_when_the_manifest_disagrees(cli, tmp_path, mariadb) -> None:
    my_reset(mariadb)
    env = my_env(tmp_path, mariadb)
    backup(cli, "my", env)
    before = my_databases(mariadb)
    drill = cli("verify", "my", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert "loaded database shop into dcv_my_" in drill.output and "4,003 rows" in drill.output
    assert my_databases(mariadb) == before

    (tmp_path / "bad").mkdir()
    edit = 'sed -i \'s/"rows": 1,/"rows": 7,/\' "$SRC/manifest.json"'
    bad = my_env(tmp_path / "bad", mariadb, TRANSFORM=edit)
    backup(cli, "my", bad)
    failed = cli("verify", "my", env=bad, timeout=300)
    assert failed.returncode == 1, failed.output
    assert (
        "verify failed: database 'shop', table shop.legacy: 7 rows expected (the dump's manifest), "
        "1 found in the restore"
    ) in failed.output
    assert my_databases(mariadb) == before
