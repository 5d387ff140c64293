"""`restore TASK` and drills of a MariaDB task with DATABASE_URL against a real server: backed up into
a file:// TARGET, everything dropped (users too), restored in one command as the task's `backup` user
(all privileges, but PROXY) and every table's checksum, every user and grant compared; the refusal
without --drop, --drop, --database, --to-url (as root, by the socket); the PROXY grants only root may
load left out in one warning; a drill passes, and fails when the manifest disagrees; a drill drops only
the scratch databases its marker (the database's COMMENT) proves are this deployment's."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from duplicity_cron.databases.common import scratch_marker, scratch_prefix

from ..database_servers import MARIADB_PASSWORD, MariaDB
from .backups import PASSPHRASE, places
from .conftest import require, wait_until
from .databases import (
    ANOTHER_DEPLOYMENT,
    DEPLOYMENT,
    MARIADB_SETUP,
    backup,
    mariadb_drop_everything,
    mariadb_fingerprint,
    serve,
    with_deployment,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")
    yield from serve(MariaDB())


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
        "DROP USER IF EXISTS 'reader'@'localhost'; DROP USER IF EXISTS 'px'@'%';"
    )
    server.sql(MARIADB_SETUP)


def my_databases(server: MariaDB) -> list[str]:
    return server.sql("SHOW DATABASES").split()


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_mariadb_restore_task_loads_everything_after_everything_was_dropped(
    cli, tmp_path, mariadb, jobs
) -> None:
    my_reset(mariadb)
    env = {**my_env(tmp_path, mariadb), "CONF_RESTORE_JOBS": jobs}
    backup(cli, "my", env)
    before = mariadb_fingerprint(mariadb)
    mariadb_drop_everything(mariadb)

    restored = cli("restore", "my", env=env, timeout=180)
    assert restored.returncode == 0, restored.output
    assert mariadb_fingerprint(mariadb) == before
    # 3: each database's rows on 3 sessions; 1: its script into one client, as before
    assert ("loaded database shop on 3 connections: 3 tables" in restored.output) == (jobs == "3")
    assert "kept as they are (they exist): 'mariadb.sys'@'localhost', 'root'@'localhost'" in restored.output
    assert MARIADB_PASSWORD not in restored.output

    refused = cli("restore", "my", env=env, timeout=180)
    assert refused.returncode == 2, refused.output
    assert "has database(s) shop, wiki already; add --drop" in refused.output
    mariadb.sql("DELETE FROM shop.items")
    dropped = cli("restore", "my", "--drop", env=env, timeout=180)
    assert dropped.returncode == 0, dropped.output
    assert mariadb_fingerprint(mariadb) == before


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_mariadb_drill_passes_and_fails_when_the_manifest_disagrees(cli, tmp_path, mariadb, jobs) -> None:
    my_reset(mariadb)
    env = {**my_env(tmp_path, mariadb), "CONF_RESTORE_JOBS": jobs}
    backup(cli, "my", env)
    before = my_databases(mariadb)
    drill = cli("verify", "my", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert ("on 3 connections: 3 tables" in drill.output) == (jobs == "3")  # the scratch database's
    assert "loaded database shop into dcv_my_" in drill.output and "4,003 rows" in drill.output
    assert my_databases(mariadb) == before

    (tmp_path / "bad").mkdir()
    edit = 'sed -i \'s/"rows": 1,/"rows": 7,/\' "$SRC/manifest.json"'
    bad = {**my_env(tmp_path / "bad", mariadb, TRANSFORM=edit), "CONF_RESTORE_JOBS": jobs}
    backup(cli, "my", bad)
    failed = cli("verify", "my", env=bad, timeout=300)
    assert failed.returncode == 1, failed.output
    assert (
        "verify failed: database 'shop', table shop.legacy: 7 rows expected (the dump's manifest), "
        "1 found in the restore"
    ) in failed.output
    assert my_databases(mariadb) == before


def test_mariadb_drill_drops_only_what_its_marker_proves_is_its_own(cli, tmp_path, mariadb) -> None:
    my_reset(mariadb)
    env = my_env(tmp_path, mariadb, DATABASES="wiki")
    backup(cli, "my", env)
    prefix = scratch_prefix("my", with_deployment(tmp_path))
    leftover, keepme, theirs = f"{prefix}deadbeef_1_wiki", f"{prefix}keepme", f"{prefix}0badcafe_1_wiki"
    mariadb.sql(
        f"CREATE DATABASE {leftover} COMMENT '{scratch_marker('my', DEPLOYMENT)}'; CREATE DATABASE {keepme};"
        f"CREATE DATABASE {theirs} COMMENT '{scratch_marker('my', ANOTHER_DEPLOYMENT)}';"
        f"CREATE TABLE {keepme}.precious (x INT); INSERT INTO {keepme}.precious VALUES (1);"
    )
    drill = cli("verify", "my", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert f"dropped scratch database {leftover}, left by an earlier drill" in drill.output
    assert f"left alone: database(s) {theirs}, {keepme}, named like this task's scratch" in drill.output
    assert "loaded database wiki into dcv_my_" in drill.output
    assert sorted(name for name in my_databases(mariadb) if name.startswith("dcv_")) == [theirs, keepme]
    assert mariadb.sql(f"SELECT x FROM {keepme}.precious").split() == ["1"]
    mariadb.sql(f"DROP DATABASE {keepme}; DROP DATABASE {theirs};")


# A user who may act as `app` (PROXY): only a user who may grant PROXY on every user (root) can load it
PROXY_SETUP = "CREATE USER 'px'@'%' IDENTIFIED BY 'px-pw-3'; GRANT PROXY ON 'app'@'%' TO 'px'@'%';"
PROXY_STATE = (
    "SELECT user, host, authentication_string FROM mysql.user WHERE user = 'px'; SHOW GRANTS FOR 'px'@'%';"
)


def test_mariadb_restore_database_as_backup_without_proxy_and_to_url_as_root(cli, tmp_path, mariadb) -> None:
    my_reset(mariadb)
    mariadb.sql(PROXY_SETUP)
    env = my_env(tmp_path, mariadb)
    backup(cli, "my", env)
    before, proxy = mariadb_fingerprint(mariadb), mariadb.sql(PROXY_STATE)
    assert "GRANT PROXY ON `app`@`%` TO `px`@`%`" in proxy

    # --database wiki --drop: wiki as it was, shop as it is now
    mariadb.sql("DELETE FROM wiki.pages; DELETE FROM shop.items WHERE id > 10;")
    shop_now = mariadb.sql("CHECKSUM TABLE shop.items EXTENDED")
    one = cli("restore", "my", "--database", "wiki", "--drop", env=env, timeout=180)
    assert one.returncode == 0, one.output
    assert "restored database wiki (dropped first)" in one.output and "database shop" not in one.output
    assert mariadb.sql("CHECKSUM TABLE wiki.pages EXTENDED") in before
    assert mariadb.sql("CHECKSUM TABLE shop.items EXTENDED") == shop_now

    # as `backup` (the task's user, no PROXY): px's PROXY grant is left out, in one line; the rest loads
    # and wiki there already, empty (as an image's entrypoint makes MARIADB_DATABASE): loaded into
    mariadb_drop_everything(mariadb)
    mariadb.sql("DROP USER 'px'@'%'; CREATE DATABASE wiki CHARACTER SET utf8mb4;")
    restored = cli("restore", "my", env=env, timeout=180)
    assert restored.returncode == 0, restored.output
    assert "database wiki exists and holds nothing: loading into it" in restored.output
    assert "restored database wiki (into the empty one there)" in restored.output
    warnings = [line for line in restored.output.splitlines() if "warning:" in line]
    assert len(warnings) == 1, restored.output
    assert "left out the PROXY grant(s) of 'px'@'%': only a user who may grant PROXY" in warnings[0]
    assert "ERROR" not in restored.output and "error:" not in restored.output
    assert mariadb_fingerprint(mariadb) == before
    assert "PROXY" not in mariadb.sql("SHOW GRANTS FOR 'px'@'%'")

    # --to-url as root by the socket: everything, PROXY too. The task's own server does not answer,
    # so the restore must go where --to-url says
    mariadb_drop_everything(mariadb)
    mariadb.sql("DROP USER 'px'@'%'")
    elsewhere = {**env, "TASK_my_DATABASE_URL": "mariadb://backup@127.0.0.1:9/"}
    url = f"mariadb://root@{quote(str(mariadb.socket), safe='')}/"
    as_root = cli("restore", "my", "--to-url", url, env=elsewhere, timeout=180)
    assert as_root.returncode == 0, as_root.output
    assert "warning:" not in as_root.output and "ERROR" not in as_root.output
    assert f"restored the databases into mariadb://root@{mariadb.socket}/" in as_root.output
    assert mariadb_fingerprint(mariadb) == before
    assert mariadb.sql(PROXY_STATE) == proxy
    mariadb.sql("DROP USER 'px'@'%'")


def test_a_mysql_server_behind_a_mariadb_url_is_refused_before_anything_is_loaded(
    cli, tmp_path, mariadb
) -> None:
    from .test_database_dumps import mysql_shim

    my_reset(mariadb)
    env = my_env(tmp_path, mariadb)
    backup(cli, "my", env)
    before = mariadb_fingerprint(mariadb)
    mariadb_drop_everything(mariadb)
    mysql = {**env, "PATH": mysql_shim(tmp_path)}
    problem = (
        f"mariadb://backup@127.0.0.1:{mariadb.port}/: the server is not MariaDB but MySQL (version 9.1.0): "
        "a mariadb-dump backup of it cannot be restored; use a mysql:// URL (the duplicity-mysql image has "
        "MySQL's client); nothing was restored"
    )
    for command in ("restore", "verify"):
        run = cli(command, "my", env=mysql, timeout=300)
        assert run.returncode == 1, run.output
        assert problem in run.output
        assert "loaded" not in run.output
    assert "shop" not in my_databases(mariadb) and not [
        n for n in my_databases(mariadb) if n.startswith("dcv_")
    ]
    assert cli("restore", "my", env=env, timeout=180).returncode == 0
    assert mariadb_fingerprint(mariadb) == before


# Every row of `slow.t` made to cost 20 ms to load (SLEEP in its VALUES, written into the dump by the
# task's TRANSFORM): the drill is stopped while its rows are dealt to the sessions of the parallel load.
SLOW_ROWS = (
    'zstd -dc "$SRC/databases/slow.sql.zst" | sed "s/^(/(SLEEP(0.02)+/" '
    '| zstd -q -o "$SRC/slow.tmp" && mv "$SRC/slow.tmp" "$SRC/databases/slow.sql.zst"'
)


def test_mariadb_drill_stopped_while_it_loads_rows_leaves_no_scratch_database(
    cli, daemon, tmp_path, mariadb
) -> None:
    mariadb.sql(
        "DROP DATABASE IF EXISTS slow; CREATE DATABASE slow; CREATE TABLE slow.t (id INT PRIMARY KEY);"
        "USE slow; INSERT INTO t SELECT seq FROM seq_1_to_300;"
    )
    try:
        env = {**my_env(tmp_path, mariadb, DATABASES="slow", TRANSFORM=SLOW_ROWS), "CONF_RESTORE_JOBS": "2"}
        backup(cli, "my", env)
        prefix = scratch_prefix("my", with_deployment(tmp_path))

        def loading() -> bool:  # a session of the load is in the scratch database's slow rows (6 s)
            query = (
                "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'INSERT INTO `t`%' "
                f"AND db LIKE '{prefix}%'"
            )
            return mariadb.sql(query).strip() != "0"

        drill = daemon(env, ("verify", "my"))
        wait_until(loading, timeout=180, what="the drill loading its scratch database's rows")
        assert drill.stop(signal.SIGTERM, timeout=60) == 1
        assert [name for name in my_databases(mariadb) if name.startswith(prefix)] == [], drill.output
        assert "verify interrupted in" in drill.output and "failed step databases" in drill.output
        assert f"dropped scratch database {prefix}" in drill.output, drill.output
    finally:
        mariadb.sql("DROP DATABASE IF EXISTS slow")
