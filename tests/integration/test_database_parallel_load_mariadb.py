"""MariaDB's parallel load (`mariadb.restore`) on a real server: the shop of the round-trip tests, a
database of many tables (InnoDB and MyISAM, indexes, a trigger that would change another table's rows
if it fired during the load, a view, a routine, an event, a sequence) and one of a single large table
dealt to the sessions in many statements, come back with the same checksums, indexes, triggers,
routines, events and views as before the dump; a statement that fails stops the load with its error."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.engine import DumpedDatabase, DumpError
from duplicity_cron.databases.mariadb.server import mariadb_server

from ..database_servers import MariaDB
from .conftest import require
from .databases import MARIADB_SETUP, serve

pytestmark = pytest.mark.slow

MANY_TABLES = (
    "CREATE DATABASE many; USE many; CREATE SEQUENCE s START WITH 100;"
    + "".join(
        f"CREATE TABLE t{n} (id INT PRIMARY KEY, body TEXT, n INT UNIQUE, KEY body (body(20))) ENGINE="
        f"{'MyISAM' if n % 10 == 0 else 'InnoDB'};"
        f"INSERT INTO t{n} SELECT seq, CONCAT(REPEAT('x', seq % 50), '\\n\\t', seq), seq + {n} "
        f"FROM seq_1_to_{n * 40};"
        for n in range(1, 31)
    )
    + (
        "CREATE TABLE child (id INT, FOREIGN KEY (id) REFERENCES t3 (id)) ENGINE=InnoDB;"
        "INSERT INTO child VALUES (1), (2); SELECT NEXTVAL(s);"
        "CREATE TRIGGER t5_copy AFTER INSERT ON t5 FOR EACH ROW "
        "INSERT INTO t1 VALUES (NEW.id + 100000, 'y', NEW.id + 100000);"
        "CREATE VIEW small AS SELECT id FROM t2 WHERE id < 10;"
        "CREATE PROCEDURE p() SELECT COUNT(*) FROM t4;"
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM t6 WHERE id < 0;"
    )
)
ONE_LARGE = (
    "CREATE DATABASE one CHARACTER SET utf8mb4; USE one; "
    "CREATE TABLE big (id BIGINT AUTO_INCREMENT PRIMARY KEY, body TEXT, at DATETIME, KEY at (at), "
    "UNIQUE KEY body (body(40), id)) ENGINE=InnoDB;"
    "INSERT INTO big (body, at) SELECT CONCAT(MD5(seq), ' ✓ ', REPEAT('y', seq % 200)), "
    "'2026-01-01' + INTERVAL seq MINUTE FROM seq_1_to_60000;"
)


def _state(server: MariaDB, database: str) -> str:
    tables = server.sql(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{database}' "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
    ).split()
    return server.sql(
        f"CHECKSUM TABLE {', '.join(f'{database}.{t}' for t in tables)} EXTENDED;"
        "SELECT table_name, table_type, engine, auto_increment, table_collation "
        f"FROM information_schema.tables WHERE table_schema = '{database}' ORDER BY 1;"
        "SELECT table_name, index_name, non_unique, seq_in_index, column_name, sub_part "
        f"FROM information_schema.statistics WHERE table_schema = '{database}' ORDER BY 1, 2, 4;"
        "SELECT constraint_name, table_name, referenced_table_name FROM "
        f"information_schema.referential_constraints WHERE constraint_schema = '{database}' ORDER BY 1;"
        "SELECT trigger_name, event_object_table, md5(action_statement) FROM information_schema.triggers "
        f"WHERE trigger_schema = '{database}' ORDER BY 1;"
        "SELECT routine_name, md5(routine_definition) FROM information_schema.routines "
        f"WHERE routine_schema = '{database}' ORDER BY 1;"
        "SELECT event_name, md5(event_definition) FROM information_schema.events "
        f"WHERE event_schema = '{database}';"
        "SELECT table_name, md5(view_definition) FROM information_schema.views "
        f"WHERE table_schema = '{database}';"
        + (f"SELECT next_not_cached_value FROM {database}.s;" if database == "many" else "")
    )


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    require("zstd")

    def setup(server: MariaDB) -> None:
        server.sql(MARIADB_SETUP)
        server.sql(MANY_TABLES)
        server.sql(ONE_LARGE)

    yield from serve(MariaDB(), setup)


def _dump(server: MariaDB, database: str, folder: Path) -> Path:
    """The database dumped as the runner dumps it, in INSERT statements of at most 16 KB (many)."""
    path = folder / f"{database}.sql.zst"
    subprocess.run(
        f"mariadb-dump --no-defaults -uroot --socket={server.socket} --single-transaction --routines "
        f"--events --triggers --default-character-set=binary --comments --net-buffer-length=16384 "
        f"--databases {database} | zstd -q -o {path}",
        shell=True, check=True,
    )  # fmt: skip
    return path


def _load(server: MariaDB, dump: Path, database: str, jobs: int, spool: Path) -> None:
    url = parse_database_url(f"mariadb://root@{quote(str(server.socket), safe='')}/")
    with mariadb_server(url, None) as target:
        commands = target.restore_commands(DumpedDatabase(database, dump), database, False)
        target.load_database(commands, None, "loading", jobs, spool)


@pytest.mark.parametrize("database", ["shop", "many", "one"])
def test_a_parallel_load_gives_what_the_serial_one_gives(mariadb, tmp_path, capsys, database) -> None:
    dump = _dump(mariadb, database, tmp_path)
    before = _state(mariadb, database)
    mariadb.sql(f"DROP DATABASE {database}")
    try:
        _load(mariadb, dump, database, 3, tmp_path)
        assert _state(mariadb, database) == before
        assert list(tmp_path.glob(".load-*")) == []  # the rest's file is gone
        said = capsys.readouterr().out
        found = re.search(
            r"loaded database \w+ on 3 connections: (\d+) tables and their rows .*"
            r"\((\d+) pieces on (\d) sessions\)",
            said,
        )
        assert found, said
        assert int(found[2]) >= int(found[1]) > 0, said  # every table's rows dealt to the sessions
        if database == "one":
            assert int(found[2]) >= 6 and found[3] == "3", said  # its 60,000 rows on all 3 sessions
        if database == "many":
            assert int(found[1]) == 31 and "3 tables' deferred keys" in said, said  # MyISAM's
            assert "t5_copy" in before and "100000" not in before  # the trigger compared, never fired
    finally:
        mariadb.sql(f"DROP DATABASE IF EXISTS {database}")
        subprocess.run(
            f"zstd -dc {dump} | mariadb --no-defaults -uroot --socket={mariadb.socket}",
            shell=True,
            check=True,
        )


def test_a_statement_that_fails_stops_the_load_with_its_error(mariadb, tmp_path) -> None:
    dump = _dump(mariadb, "one", tmp_path)
    broken = tmp_path / "broken.sql.zst"
    subprocess.run(
        f"zstd -dc {dump} | sed 's/^(30000,/(x30000,/; s/`one`/`one_broken`/g' | zstd -q -o {broken}",
        shell=True, check=True,
    )  # fmt: skip
    try:
        with pytest.raises(DumpError, match=r"^loading: .*Unknown column 'x30000'"):
            _load(mariadb, broken, "one_broken", 2, tmp_path)
        assert list(tmp_path.glob(".load-*")) == []
    finally:
        mariadb.sql("DROP DATABASE IF EXISTS one_broken")
