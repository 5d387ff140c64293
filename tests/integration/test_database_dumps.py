"""The built-in dump (TASK_<id>_DATABASE_URL) against real servers, through the installed command:
dumped, backed up into a file:// TARGET, restored with `restore TASK`, everything dropped, loaded by hand
with the clients, and every table, role/user and grant compared; writes during the dump; bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..database_servers import MARIADB_PASSWORD, PG_PASSWORD, MariaDB, Postgres
from .backups import PASSPHRASE, places
from .conftest import require
from .databases import (
    mariadb_drop_everything,
    mariadb_fingerprint,
    mariadb_load,
    pg_call_writer,
    pg_drop_everything,
    pg_fingerprint,
    pg_load,
    pg_setup,
    serve,
)
from .full_disk import on_a_full_disk


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")
    yield from serve(Postgres(), pg_setup)


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")
    yield from serve(MariaDB())


def _pg_url(server: Postgres, password: str = "") -> str:
    return f"postgresql://postgres{':' + password if password else ''}@127.0.0.1:{server.port}/"


def _restore(cli, task: str, env: dict[str, str], to: Path) -> Path:
    restored = cli("restore", task, "--to", str(to), env=env, timeout=120)
    assert restored.returncode == 0, restored.output
    return to


def test_postgres_dump_backup_and_restore_by_hand(cli, tmp_path, postgres) -> None:
    where = places(tmp_path)
    password_file = tmp_path / "db-password"
    password_file.write_text(PG_PASSWORD + "\n")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        "TASK_pg_DATABASE_URL": _pg_url(postgres),
        "TASK_pg_DATABASE_PASSWORD_FILE": str(password_file),
        "TASK_pg_DATABASES": "!scratch !postgres",
        "TASK_pg_TARGET": where.url,
    }
    before = pg_fingerprint(postgres)
    run = cli("exec", "pg", env=env, timeout=120)
    assert run.returncode == 0, run.output
    assert "dumped 2 database(s) of postgresql" in run.output
    assert PG_PASSWORD not in run.output

    restored = _restore(cli, "pg", env, tmp_path / "restored")
    assert sorted(p.name for p in (restored / "databases").iterdir()) == ["shop.sql.zst", "wiki.sql.zst"]
    for path in [restored / "globals.sql", *(restored / "databases").iterdir()]:
        assert os.stat(path).st_mode & 0o777 == 0o600, path
    manifest = json.loads((restored / "manifest.json").read_text())
    counts = {t["name"]: t["rows"] for d in manifest["databases"] for t in d["tables"]}
    assert counts["items"] == 2001 and counts["bulk"] == 20000 and counts["pages"] == 2
    assert manifest["server_version"].startswith("PostgreSQL 15.")

    pg_drop_everything(postgres)
    pg_load(postgres, restored)
    assert pg_fingerprint(postgres) == before


def test_postgres_dump_is_one_snapshot_while_writes_go_on(cli, tmp_path, postgres) -> None:
    postgres.sql("DROP DATABASE IF EXISTS busy WITH (FORCE); CREATE DATABASE busy;")
    postgres.sql(
        "CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE lines (order_id int PRIMARY KEY);"
        "CREATE PROCEDURE writer() LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..10000000 LOOP "
        "INSERT INTO orders VALUES (i); INSERT INTO lines VALUES (i); COMMIT; END LOOP; END $$;",
        "busy",
    )
    writer = threading.Thread(target=pg_call_writer, args=(postgres,), daemon=True)
    writer.start()
    _wait_for_rows(postgres)
    env = {"TASK_pg_DATABASE_URL": _pg_url(postgres, PG_PASSWORD), "TASK_pg_DATABASES": "busy",
           "TASK_pg_LOAD": f'cp -a "$SRC/." {tmp_path}/dump/'}  # fmt: skip
    (tmp_path / "dump").mkdir()
    try:
        run = cli("exec", "pg", env=env, timeout=120)
    finally:
        postgres.sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL writer%'")
        writer.join(60)
    assert run.returncode == 0, run.output
    manifest = json.loads((tmp_path / "dump" / "manifest.json").read_text())
    counts = {t["name"]: t["rows"] for t in manifest["databases"][0]["tables"]}
    postgres.sql("DROP DATABASE busy WITH (FORCE)")
    pg_load(postgres, tmp_path / "dump", ("busy",), roles=False)
    restored = postgres.sql("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM lines)", "busy")
    orders, lines = map(int, restored.strip().split("|"))
    assert orders == lines == counts["orders"] == counts["lines"] > 0


def _wait_for_rows(server: Postgres) -> None:
    from .conftest import wait_until

    wait_until(lambda: int(server.sql("SELECT count(*) FROM orders", "busy")) > 100, what="rows written")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres:wrong-Pa55word@127.0.0.1:{port}/", "password authentication failed"),
        ("postgresql://postgres@nohost.invalid:{port}/", "nohost.invalid"),
        ("postgresql://postgres@127.0.0.1:{free}/", "Connection refused"),
        ("postgresql://postgres:{pw}@127.0.0.1:{port}/missing", 'database "missing" does not exist'),
    ],
    ids=["wrong password", "unknown host", "server down", "unknown database"],
)
def test_postgres_bad_input_is_one_clear_error(cli, postgres, url, expected) -> None:
    from ..images.util import free_port

    url = url.format(port=postgres.port, free=free_port(), pw=PG_PASSWORD)
    run = cli("exec", "pg", env={"TASK_pg_DATABASE_URL": url, "TASK_pg_LOAD": "echo LOAD RAN"}, timeout=60)
    assert run.returncode != 0, run.output
    assert expected in run.output
    assert "LOAD RAN" not in run.output and "dumped" not in run.output
    assert "wrong-Pa55word" not in run.output


def test_a_server_newer_than_the_client_is_refused_before_anything_is_dumped(cli, tmp_path, postgres) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.16 (Debian 13.16-1)'\n")
    (shim / "pg_dump").chmod(0o755)
    env = {
        "PATH": f"{shim}:{os.environ['PATH']}",
        "TASK_pg_DATABASE_URL": _pg_url(postgres, PG_PASSWORD),
        "TASK_pg_LOAD": 'ls -R "$SRC"; echo LOAD RAN',
    }
    run = cli("exec", "pg", env=env, timeout=60)
    assert run.returncode != 0
    assert "the server is version 15, newer than the client pg_dump 13" in run.output
    assert "nothing was dumped" in run.output and "LOAD RAN" not in run.output


def test_a_snapshot_name_that_is_not_one_fails_the_run_before_any_dump(cli, tmp_path, postgres) -> None:
    """The snapshot's session (the one psql without -c) answers something pg_export_snapshot never
    gives: one line naming the database, nothing dumped (the parts would have quoted it in their SQL)."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "psql").write_text(
        '#!/bin/sh\nfor arg; do [ "$arg" = -c ] && exec /usr/bin/psql "$@"; done\n'
        'echo "x\'; DROP TABLE t; --"; cat >/dev/null\n'
    )
    (shim / "psql").chmod(0o755)
    env = {"PATH": f"{shim}:{os.environ['PATH']}", "TASK_pg_DATABASE_URL": _pg_url(postgres, PG_PASSWORD),
           "TASK_pg_DATABASES": "wiki", "TASK_pg_LOAD": "echo LOAD RAN"}  # fmt: skip
    run = cli("exec", "pg", env=env, timeout=60)
    assert run.returncode != 0, run.output
    assert "error: database 'wiki': the server's snapshot is not a snapshot name: " in run.output
    assert "pg_dump of" not in run.output and "LOAD RAN" not in run.output


def test_a_database_dropped_during_the_dump_fails_the_run(cli, postgres) -> None:
    postgres.sql("DROP DATABASE IF EXISTS doomed WITH (FORCE); CREATE DATABASE doomed;")
    postgres.sql("CREATE TABLE t (x int);", "doomed")
    # A lock the dump waits for: pg_dump is connected and stuck until the database goes.
    locker = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-h", str(postgres.base), "-p", str(postgres.port),
         "-d", "doomed", "-c", "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    from .conftest import wait_until

    env = {"TASK_pg_DATABASE_URL": _pg_url(postgres, PG_PASSWORD), "TASK_pg_DATABASES": "doomed",
           "TASK_pg_LOAD": "echo LOAD RAN"}  # fmt: skip
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(cli("exec", "pg", env=env, timeout=120)))
    thread.start()
    try:
        wait_until(lambda: postgres.sql("SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                                        "WHERE d.datname = 'doomed' AND NOT l.granted").strip(),
                   what="pg_dump waiting for its lock")  # fmt: skip
        postgres.sql("DROP DATABASE doomed WITH (FORCE)")
    finally:
        thread.join(120)
        locker.wait(30)
    run = result[0]
    assert run.returncode != 0  # type: ignore[attr-defined]
    print(run.output)  # type: ignore[attr-defined]
    # Whichever connection the drop ends first (the snapshot's session or pg_dump's), the line names
    # the database and the step fails.
    assert re.search(r"\[pg/extract\]! error: (pg_dump of )?database 'doomed': ", run.output), run.output  # type: ignore[attr-defined]
    assert "failed step extract" in run.output  # type: ignore[attr-defined]
    assert "LOAD RAN" not in run.output  # type: ignore[attr-defined]


def test_a_full_disk_in_src_fails_the_run(tmp_path, work_dir, postgres) -> None:
    env = {"TASK_pg_DATABASE_URL": _pg_url(postgres, PG_PASSWORD), "TASK_pg_DATABASES": "shop",
           "TASK_pg_LOAD": "echo LOAD RAN"}  # fmt: skip
    run = on_a_full_disk(work_dir / "pg" / "src", work_dir, ["exec", "pg"], env)
    assert run.returncode != 0, run.output
    assert "No space left on device" in run.output
    assert "LOAD RAN" not in run.output and "dumped 1 database" not in run.output


def test_mariadb_dump_backup_and_restore_by_hand(cli, tmp_path, mariadb) -> None:
    from .databases import MARIADB_SETUP

    mariadb.sql(MARIADB_SETUP)
    where = places(tmp_path)
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        "TASK_my_DATABASE_URL": f"mariadb://backup@127.0.0.1:{mariadb.port}/",
        "TASK_my_DATABASE_PASSWORD": MARIADB_PASSWORD,
        "TASK_my_TARGET": where.url,
    }
    before = mariadb_fingerprint(mariadb)
    run = cli("exec", "my", env=env, timeout=120)
    assert run.returncode == 0, run.output
    assert "not in one consistent snapshot (only InnoDB tables are): shop.legacy (MyISAM)" in run.output
    assert MARIADB_PASSWORD not in run.output

    restored = _restore(cli, "my", env, tmp_path / "restored")
    manifest = json.loads((restored / "manifest.json").read_text())
    assert [d["name"] for d in manifest["databases"]] == ["shop", "wiki"]
    counts = {t["name"]: t["rows"] for d in manifest["databases"] for t in d["tables"]}
    assert counts == {"items": 2001, "audit": 2001, "legacy": 1, "pages": 2, "labels": 1}

    mariadb_drop_everything(mariadb)
    mariadb_load(mariadb, restored)
    assert mariadb_fingerprint(mariadb) == before


def test_mariadb_row_counts_are_the_dump_s_while_writes_go_on(cli, tmp_path, mariadb) -> None:
    """The rows are counted in the dump itself: the manifest's counts are what it holds, in one
    snapshot, whatever is written meanwhile (a COUNT(*) before the dump would see fewer rows)."""
    mariadb.sql(
        "DROP DATABASE IF EXISTS busy; CREATE DATABASE busy; USE busy;"
        "CREATE TABLE orders (id INT PRIMARY KEY) ENGINE=InnoDB;"
        "CREATE TABLE order_lines (order_id INT PRIMARY KEY) ENGINE=InnoDB;\nDELIMITER //\n"
        "CREATE PROCEDURE writer() BEGIN DECLARE i INT DEFAULT 1; WHILE i < 10000000 DO "
        "START TRANSACTION; INSERT INTO orders VALUES (i); INSERT INTO order_lines VALUES (i); COMMIT; "
        "SET i = i + 1; END WHILE; END//\nDELIMITER ;\n"
    )
    writer = threading.Thread(target=_call_mariadb_writer, args=(mariadb,), daemon=True)
    writer.start()
    from .conftest import wait_until

    wait_until(lambda: int(mariadb.sql("SELECT COUNT(*) FROM busy.orders")) > 100, what="rows written")
    env = {"TASK_my_DATABASE_URL": f"mariadb://backup@127.0.0.1:{mariadb.port}/",
           "TASK_my_DATABASE_PASSWORD": MARIADB_PASSWORD, "TASK_my_DATABASES": "busy",
           "TASK_my_LOAD": f'cp -a "$SRC/." {tmp_path}/dump/'}  # fmt: skip
    (tmp_path / "dump").mkdir()
    try:
        run = cli("exec", "my", env=env, timeout=120)
        during = int(mariadb.sql("SELECT COUNT(*) FROM busy.orders"))
    finally:
        for query in mariadb.sql(
            "SELECT id FROM information_schema.processlist WHERE db = 'busy' AND command = 'Query'"
        ).split():
            mariadb.sql(f"KILL {query}")  # KILL QUERY stops one statement, the loop goes on
        writer.join(60)
    assert run.returncode == 0, run.output
    manifest = json.loads((tmp_path / "dump" / "manifest.json").read_text())
    assert manifest["rows_in_dump_snapshot"] is True
    counts = {t["name"]: t["rows"] for t in manifest["databases"][0]["tables"]}
    mariadb.sql("DROP DATABASE busy")
    sql = subprocess.run(["zstd", "-dc", str(tmp_path / "dump" / "databases" / "busy.sql.zst")],
                         capture_output=True, check=True, text=True).stdout  # fmt: skip
    mariadb.sql(sql)
    restored = mariadb.sql(
        "SELECT (SELECT COUNT(*) FROM busy.orders), (SELECT COUNT(*) FROM busy.order_lines)"
    )
    orders, lines = map(int, restored.split())
    assert orders == lines == counts["orders"] == counts["order_lines"] > 0
    assert during > orders  # the writer went on after the dump's snapshot


def _call_mariadb_writer(server: MariaDB) -> None:
    with pytest.raises(AssertionError, match="Lost connection"):
        server.sql("CALL writer()", "busy")  # its session's db: the one killed


def test_mariadb_wrong_password_is_one_clear_error(cli, mariadb) -> None:
    env = {"TASK_my_DATABASE_URL": f"mariadb://backup:wrong-Pa55word@127.0.0.1:{mariadb.port}/",
           "TASK_my_LOAD": "echo LOAD RAN"}  # fmt: skip
    run = cli("exec", "my", env=env, timeout=60)
    assert run.returncode != 0
    assert "Access denied for user 'backup'" in run.output
    assert "LOAD RAN" not in run.output and "wrong-Pa55word" not in run.output


def mysql_shim(folder: Path) -> str:
    """A PATH whose `mariadb` answers `SELECT VERSION()` as a MySQL 9.1 server does (the real client
    otherwise): a mariadb:// URL that reaches a MySQL server."""
    shim = folder / "bin"
    shim.mkdir()
    (shim / "mariadb").write_text(
        '#!/bin/sh\nfor arg; do [ "$arg" = "SELECT VERSION()" ] && { echo 9.1.0; exit 0; }; done\n'
        'exec /usr/bin/mariadb "$@"\n'
    )
    (shim / "mariadb").chmod(0o755)
    return f"{shim}:{os.environ['PATH']}"


def test_a_mysql_server_behind_a_mariadb_url_is_refused_before_anything_is_dumped(
    cli, tmp_path, mariadb
) -> None:
    env = {"PATH": mysql_shim(tmp_path), "TASK_my_DATABASE_PASSWORD": MARIADB_PASSWORD,
           "TASK_my_DATABASE_URL": f"mariadb://backup@127.0.0.1:{mariadb.port}/",
           "TASK_my_LOAD": "echo LOAD RAN"}  # fmt: skip
    run = cli("exec", "my", env=env, timeout=60)
    assert run.returncode != 0, run.output
    assert (
        f"mariadb://backup@127.0.0.1:{mariadb.port}/: the server is not MariaDB but MySQL (version 9.1.0): "
        "a mariadb-dump backup of it cannot be restored; use a mysql:// URL (the duplicity-mysql image has "
        "MySQL's client); nothing was dumped"
    ) in run.output
    assert "dumped database" not in run.output and "LOAD RAN" not in run.output


def test_a_mysql_url_is_the_mysql_engines(cli) -> None:
    env = {
        "TASK_my_DATABASE_URL": "mysql://root@db:3306/",
        "TASK_my_TARGET": "file:///tmp/x",
        "PASSPHRASE": "p",
    }
    run = cli("check", env=env)
    assert run.returncode == 0, run.output
