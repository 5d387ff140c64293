"""`restore TASK` and drills of a PostgreSQL task with DATABASE_URL against a real server (MariaDB's:
test_database_restore_mariadb.py): backed up into a file:// TARGET, everything dropped (roles too),
restored in one command, and every table's checksum, every role and grant compared; the refusal
without --drop, --drop, --database, --to-url into a second server, --time; the default selection with
`postgres` (loaded into the empty one, or dropped and created from template1); a drill passes, fails
on a dump that is not what its manifest says, and leaves no scratch database behind, also when it is
stopped while it loads."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from duplicity_cron.databases.common import scratch_marker, scratch_prefix
from duplicity_cron.databases.postgresql.commands import USER_OBJECTS_SQL

from ..database_servers import PG_PASSWORD, Postgres
from .backups import PASSPHRASE, places
from .conftest import require, wait_until
from .databases import (
    ANOTHER_DEPLOYMENT,
    DEPLOYMENT,
    backup,
    pg_fingerprint,
    pg_setup,
    pg_table_sums,
    serve,
    with_deployment,
)
from .http_recorder import Recorder

pytestmark = pytest.mark.slow
PG_DATABASES = "!scratch !postgres"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")
    yield from serve(Postgres())


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


def test_postgres_restore_task_loads_everything_after_everything_was_dropped(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    before = pg_fingerprint(postgres)
    pg_wipe(postgres)

    restored = cli("restore", "pg", env={**env, "CONF_RESTORE_JOBS": "3"}, timeout=180)
    assert restored.returncode == 0, restored.output
    assert pg_fingerprint(postgres) == before
    assert "loaded database shop on 3 connections: the schema in" in restored.output
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
    one = {**env, "CONF_RESTORE_JOBS": "1"}
    dropped = cli("restore", "pg", "--database", "wiki", "--drop", env=one, timeout=180)
    assert dropped.returncode == 0, dropped.output
    assert "loaded database wiki on" not in dropped.output  # one script into one psql, as before
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
    """A drill drops its own scratch databases and a leftover of this deployment's (a killed drill),
    each proven by its marker (the database's comment); a user's database named like a scratch one,
    and another deployment's live scratch database, survive the drill and its cleanup."""
    pg_reset(postgres)
    # a database setting: pg_dump connects to the database again after it, which must be to the scratch one
    postgres.sql("ALTER DATABASE shop SET search_path TO sales, public")
    env = pg_env(tmp_path, postgres)
    backup(cli, "pg", env)
    shop = pg_table_sums(postgres, "shop")
    prefix = scratch_prefix("pg", with_deployment(tmp_path))
    leftover, keepme, theirs = f"{prefix}deadbeef_1_shop", f"{prefix}keepme", f"{prefix}0badcafe_1_shop"
    postgres.sql(f"CREATE DATABASE {leftover}; CREATE DATABASE {keepme}; CREATE DATABASE {theirs};")
    postgres.sql(f"COMMENT ON DATABASE {leftover} IS '{scratch_marker('pg', DEPLOYMENT)}';")
    postgres.sql(f"COMMENT ON DATABASE {theirs} IS '{scratch_marker('pg', ANOTHER_DEPLOYMENT)}';")
    before = pg_databases(postgres)

    drill = cli("verify", "pg", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert f"dropped scratch database {leftover}, left by an earlier drill" in drill.output
    assert f"left alone: database(s) {theirs}, {keepme}, named like this task's scratch" in drill.output
    assert "loaded database shop into dcv_pg_" in drill.output and "22,002 rows" in drill.output
    assert "every table's rows as its manifest counted" in drill.output
    assert pg_databases(postgres) == [name for name in before if name != leftover]
    assert sorted(name for name in pg_databases(postgres) if name.startswith("dcv_")) == [theirs, keepme]
    assert pg_table_sums(postgres, "shop") == shop
    postgres.sql(f"DROP DATABASE {keepme}; DROP DATABASE {theirs};")


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


# Real data in `postgres` too: a table, a function, a large object (none of which initdb makes)
PG_IN_POSTGRES = """CREATE TABLE notes (id int PRIMARY KEY, body text);
INSERT INTO notes SELECT g, 'note ' || g || ' ✓' FROM generate_series(1, 500) g;
CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM notes';
SELECT lo_from_bytea(0, 'in postgres');"""


def pg_empty_postgres(server: Postgres) -> None:
    """`postgres` as initdb left it: what PG_IN_POSTGRES made dropped."""
    server.sql(
        "DROP TABLE IF EXISTS notes; DROP FUNCTION IF EXISTS note_count(); "
        "SELECT lo_unlink(oid) FROM pg_largeobject_metadata;"
    )


def pg_postgres_state(server: Postgres) -> tuple[object, ...]:
    objects = server.sql("SELECT note_count(); SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata;")
    return pg_table_sums(server, "postgres"), objects


def test_postgres_default_selection_restores_postgres_into_the_empty_one_or_drops_it(
    cli, tmp_path, postgres
) -> None:
    pg_reset(postgres)
    pg_empty_postgres(postgres)
    postgres.sql(PG_IN_POSTGRES)
    try:
        env = pg_env(tmp_path, postgres)
        del env["TASK_pg_DATABASES"]  # every database: postgres, scratch, shop, wiki
        backup(cli, "pg", env)
        before, in_postgres = pg_fingerprint(postgres), pg_postgres_state(postgres)
        pg_wipe(postgres)
        pg_empty_postgres(postgres)  # everything dropped: `postgres` cannot be, it is emptied

        restored = cli("restore", "pg", env=env, timeout=180)
        assert restored.returncode == 0, restored.output
        assert (
            "database postgres exists and holds nothing: loading into it (its CREATE DATABASE left out)"
        ) in restored.output
        assert "restored database postgres (into the empty one there)" in restored.output
        assert "restored 4 database(s)" in restored.output and "ERROR" not in restored.output
        assert pg_fingerprint(postgres) == before
        assert pg_postgres_state(postgres) == in_postgres

        refused = cli("restore", "pg", env=env, timeout=180)
        assert refused.returncode == 2, refused.output
        # scratch holds nothing (PG_SETUP makes it empty): it is no reason to refuse
        assert "has database(s) postgres, shop, wiki already; add --drop" in refused.output

        postgres.sql("DELETE FROM notes WHERE id > 10")
        postgres.sql("INSERT INTO pages VALUES ('later', 'z')", "wiki")
        dropped = cli("restore", "pg", "--drop", env=env, timeout=180)
        assert dropped.returncode == 0, dropped.output
        assert "restored database postgres (dropped first)" in dropped.output
        assert "ERROR" not in dropped.output
        assert pg_fingerprint(postgres) == before
        assert pg_postgres_state(postgres) == in_postgres
    finally:
        pg_empty_postgres(postgres)


def test_postgres_a_database_holds_nothing_until_a_user_makes_any_object(postgres) -> None:
    """USER_OBJECTS_SQL, which decides whether a restore loads into a database that exists."""
    assert postgres.sql(USER_OBJECTS_SQL, "template1").strip() == "0"
    made_by_users = (
        "CREATE TABLE t (i int)", "CREATE SCHEMA s", "CREATE TYPE m AS ENUM ('a')", "CREATE EXTENSION hstore",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "SELECT lo_from_bytea(0, 'x')",
        "CREATE PUBLICATION p", "CREATE FOREIGN DATA WRAPPER w",
    )  # fmt: skip
    for made in ("", *made_by_users):
        postgres.sql("DROP DATABASE IF EXISTS probe")
        postgres.sql("CREATE DATABASE probe")
        if made:
            postgres.sql(made, "probe")
        assert (postgres.sql(USER_OBJECTS_SQL, "probe").strip() == "0") == (not made), made
    postgres.sql("DROP DATABASE probe")


# An index whose every row costs 20 ms to build: its database takes seconds to load, all of them
# after the scratch database was created (pg_dump writes the indexes after the data).
PG_SLOW = """CREATE FUNCTION slow(n int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM pg_sleep(0.02); RETURN n; END$$;
CREATE TABLE t (id int);
INSERT INTO t SELECT generate_series(1, 300);
CREATE INDEX t_slow ON t (slow(id));"""
# A table whose every row costs 20 ms to load (its CHECK): stopped while its rows are dealt to the
# sessions of the parallel load.
PG_SLOW_ROWS = """CREATE FUNCTION slow(n int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  $$BEGIN PERFORM pg_sleep(0.02); RETURN n; END$$;
CREATE TABLE t (id int CHECK (slow(id) > 0));
INSERT INTO t SELECT generate_series(1, 300);"""


@pytest.mark.parametrize(
    ("setup", "statement"), [(PG_SLOW, "CREATE INDEX t_slow%"), (PG_SLOW_ROWS, "COPY public.t %")]
)
def test_postgres_drill_stopped_while_it_loads_leaves_no_scratch_database(
    cli, daemon, tmp_path, postgres, setup, statement
) -> None:
    pg_reset(postgres)
    postgres.sql("DROP DATABASE IF EXISTS slow")
    postgres.sql("CREATE DATABASE slow")
    try:
        postgres.sql(setup, "slow")
        env = pg_env(tmp_path, postgres, DATABASES="slow")
        backup(cli, "pg", env)
        prefix = scratch_prefix("pg", with_deployment(tmp_path))

        def scratch() -> list[str]:
            return [name for name in pg_databases(postgres) if name.startswith(prefix)]

        def loading() -> bool:  # the load is at its slow index or rows (6 s), in the scratch database
            query = f"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '{statement}'"
            return bool(scratch()) and postgres.sql(query).strip() != "0"

        drill = daemon(env, ("verify", "pg"))
        wait_until(loading, timeout=180, what="the drill loading its scratch database")
        assert drill.stop(signal.SIGTERM, timeout=60) == 1
        assert scratch() == [], drill.output  # before `verify` stopped on SIGTERM, its load went on
        assert "verify interrupted in" in drill.output and "failed step databases" in drill.output
        assert f"dropped scratch database {prefix}" in drill.output, drill.output
        assert "every table's rows as its manifest counted" not in drill.output
    finally:
        postgres.sql("DROP DATABASE IF EXISTS slow WITH (FORCE)")


def test_postgres_restore_is_notified_with_its_server_and_not_its_password(cli, tmp_path, postgres) -> None:
    pg_reset(postgres)
    recorder = Recorder()
    try:
        env = {
            **pg_env(tmp_path, postgres),
            "CONF_NOTIFY_URLS": f"json://127.0.0.1:{recorder.port}/notify",
            "CONF_NOTIFY_ON": "always",
        }
        backup(cli, "pg", env)
        backed_up = len(recorder.requests)  # the backup's own notification
        refused = cli("restore", "pg", env=env, timeout=180)
        assert refused.returncode == 2, refused.output
        assert len(recorder.requests) == backed_up  # refused: nothing was restored, nothing to tell
        dropped = cli("restore", "pg", "--database", "wiki", "--drop", env=env, timeout=180)
        assert dropped.returncode == 0, dropped.output
        [told] = [json.loads(r.body) for r in recorder.requests[backed_up:]]
        assert told["type"] == "success" and "restore of backup task pg: succeeded" in told["title"]
        assert f"Into: postgresql://postgres@127.0.0.1:{postgres.port}/" in told["message"]
        assert PG_PASSWORD not in json.dumps(told)
    finally:
        recorder.close()
