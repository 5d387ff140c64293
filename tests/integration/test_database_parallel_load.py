"""PostgreSQL's parallel load (`postgresql.restore`) on a real server: a database of many tables and
one of a single large table, cut into many pieces (small ones here), come back with the same rows
(checksums), indexes, constraints and grants as the serial load of the same dump gives; a piece
that fails stops the load with its error."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.engine import DumpError
from duplicity_cron.databases.postgresql import commands as pg
from duplicity_cron.databases.postgresql.restore import load_in_parallel
from duplicity_cron.databases.postgresql.server import PostgresServer

from ..database_servers import PG_PASSWORD, Postgres
from .conftest import require
from .databases import pg_table_sums, serve

pytestmark = pytest.mark.slow

MANY_TABLES = (
    "\n".join(
        f"CREATE TABLE t{n} (id int PRIMARY KEY, body text, n int UNIQUE);"
        f"CREATE INDEX t{n}_body ON t{n} (body);"
        f"INSERT INTO t{n} SELECT g, repeat('x', g % 50) || E'\\n\\t' || g, g + {n} "
        f"FROM generate_series(1, {n * 40}) g;"
        f"GRANT SELECT ON t{n} TO reader;"
        for n in range(1, 31)
    )
    + "CREATE TABLE child (id int REFERENCES t3 (id)); INSERT INTO child VALUES (1), (2);"
)
ONE_LARGE = (
    "CREATE TABLE big (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text, at timestamptz);"
    "INSERT INTO big (body, at) SELECT md5(g::text) || ' ✓ ' || repeat('y', g % 200), "
    "'2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 60000) g;"
    "CREATE INDEX big_at ON big (at); CREATE UNIQUE INDEX big_body ON big (body, id);"
)
STRUCTURE_SQL = """SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
 SELECT indexrelid::regclass || ' ' || pg_get_indexdef(indexrelid) AS x FROM pg_index
  JOIN pg_class c ON c.oid = indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
 UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace = 'public'::regnamespace
 UNION ALL SELECT relname || ' ' || coalesce(relacl::text, '') FROM pg_class
  WHERE relnamespace = 'public'::regnamespace
 UNION ALL SELECT sequencename || ' ' || coalesce(last_value::text, '') FROM pg_sequences) s"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")

    def setup(server: Postgres) -> None:
        server.sql("CREATE ROLE reader; CREATE DATABASE many; CREATE DATABASE one;")
        server.sql(MANY_TABLES, "many")
        server.sql(ONE_LARGE, "one")
        server.sql("CREATE TABLE big_id_seq_user (x int); GRANT SELECT ON big TO reader;", "one")

    yield from serve(Postgres(), setup)


def _server(postgres: Postgres) -> PostgresServer:
    return PostgresServer(
        parse_database_url(f"postgresql://postgres@127.0.0.1:{postgres.port}/"), PG_PASSWORD
    )


def _dump(server: Postgres, database: str, folder: Path) -> Path:
    path = folder / f"{database}.sql.zst"
    subprocess.run(
        f"runuser -u postgres -- pg_dump --create -h {server.base} -p {server.port} {database} "
        f"| zstd -q -o {path}",
        shell=True, check=True,
    )  # fmt: skip
    return path


def _state(server: Postgres, database: str) -> tuple[dict[str, str], str]:
    return pg_table_sums(server, database), server.sql(STRUCTURE_SQL, database)


@pytest.mark.parametrize("database", ["many", "one"])
def test_a_parallel_load_gives_what_the_serial_one_gives(postgres, tmp_path, database) -> None:
    server = PostgresServer(
        parse_database_url(f"postgresql://postgres@127.0.0.1:{postgres.port}/"), PG_PASSWORD
    )
    dump = _dump(postgres, database, tmp_path)
    before = _state(postgres, database)
    postgres.sql(f"DROP DATABASE {database}")
    try:
        commands = pg.restore_commands(server.url, PG_PASSWORD, str(dump), database)
        worker = pg.load_command(server.url, PG_PASSWORD, database)
        load_in_parallel(commands, worker, None, "loading", 3, tmp_path)
        assert _state(postgres, database) == before
        assert list(tmp_path.glob(".load-*")) == []  # the pieces are gone
        assert ("t1_body" if database == "many" else "big_at") in before[1]
        assert "reader=r/postgres" in before[1]  # the state compared holds them
    finally:
        postgres.sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        load = f"runuser -u postgres -- psql -q -X -h {postgres.base} -p {postgres.port} -d postgres"
        subprocess.run(f"zstd -dc {dump} | {load}", shell=True, check=True, capture_output=True)


def test_a_piece_that_fails_stops_the_load_with_its_error(postgres, tmp_path) -> None:
    server = PostgresServer(
        parse_database_url(f"postgresql://postgres@127.0.0.1:{postgres.port}/"), PG_PASSWORD
    )
    dump = _dump(postgres, "one", tmp_path)
    broken = tmp_path / "broken.sql.zst"
    subprocess.run(
        f"zstd -dc {dump} | sed 's/^3000\\t/x3000\\t/; "
        "s/CREATE DATABASE one /CREATE DATABASE one_broken /; "
        f"s/^\\\\connect one$/\\\\connect one_broken/' | zstd -q -o {broken}",
        shell=True, check=True,
    )  # fmt: skip
    try:
        commands = pg.restore_commands(server.url, PG_PASSWORD, str(broken), "one_broken")
        worker = pg.load_command(server.url, PG_PASSWORD, "one_broken")
        with pytest.raises(DumpError, match=r"^loading: .*invalid input syntax for type bigint"):
            load_in_parallel(commands, worker, None, "loading", 2, tmp_path)
        assert list(tmp_path.glob(".load-*")) == []
    finally:
        postgres.sql("DROP DATABASE IF EXISTS one_broken WITH (FORCE)")


def test_a_damaged_dump_is_told_by_the_decompression(postgres, tmp_path) -> None:
    server = _server(postgres)
    dump = _dump(postgres, "one", tmp_path)
    cut = tmp_path / "cut.sql.zst"
    data = dump.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the file ends inside the big table's rows
    commands = pg.restore_commands(server.url, PG_PASSWORD, str(cut), "one_cut")
    worker = pg.load_command(server.url, PG_PASSWORD, "one_cut")
    try:
        with pytest.raises(DumpError, match=r"^loading: zstd: .*(truncated|premature|end)"):
            load_in_parallel(commands, worker, _into("one_cut"), "loading", 2, tmp_path)
        assert list(tmp_path.glob(".load-*")) == []
    finally:
        postgres.sql("DROP DATABASE IF EXISTS one_cut WITH (FORCE)")


def _into(name: str):  # the script creating `name` instead of `one` (as a drill's scratch transform does)
    from duplicity_cron.databases.postgresql.sql import pg_into_scratch

    return lambda lines: pg_into_scratch(lines, name)
