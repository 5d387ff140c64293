"""A PostgreSQL database's largest table read in parts (`databases.postgresql.parts`), against a real
server: the dump made in this process with a threshold low enough for small tables, then loaded by
hand with psql and every table compared; the parts' rows are pg_dump's own bytes; writes during the
dump never give a restored database whose two tables disagree."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from duplicity_cron.databases import dump, parse_database_url
from duplicity_cron.databases.steps import DumpRequest

from ..database_servers import PG_PASSWORD, Postgres
from .conftest import require, wait_until
from .databases import pg_call_writer, pg_fingerprint, pg_load, pg_setup, pg_table_sums, serve

# What a part must get right: a trigger and a foreign key that must not exist while its rows load,
# a generated and a dropped column, names that need quoting, and values whose text depends on the
# session's settings (the database's own are not pg_dump's).
PARTS_SETUP = """
CREATE SCHEMA "odd schema";
CREATE TABLE "odd schema"."Big ""Ünï"" table" (id int PRIMARY KEY, gone int, at timestamptz, d date,
  span interval, ratio float8, note text, twice int GENERATED ALWAYS AS (id * 2) STORED);
ALTER TABLE "odd schema"."Big ""Ünï"" table" DROP COLUMN gone;
CREATE TABLE "odd schema".audit (id int);
CREATE FUNCTION "odd schema".log() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO "odd schema".audit VALUES (NEW.id); RETURN NEW; END$$;
INSERT INTO "odd schema"."Big ""Ünï"" table" (id, at, d, span, ratio, note)
  SELECT g, '2024-03-01 12:00+02'::timestamptz + g * interval '37 minutes', date '2024-12-31' - g,
   make_interval(days => g % 40, secs => g / 7.0), 1.0 / g, 'row ' || g || E' tab\\there ✓'
  FROM generate_series(1, 20000) g;
CREATE TRIGGER audit AFTER INSERT ON "odd schema"."Big ""Ünï"" table"
  FOR EACH ROW EXECUTE FUNCTION "odd schema".log();
CREATE TABLE "odd schema".child (big_id int REFERENCES "odd schema"."Big ""Ünï"" table" (id));
INSERT INTO "odd schema".child SELECT g FROM generate_series(1, 20000, 3) g;
"""
PARTS_DATABASE_SETTINGS = (
    "ALTER DATABASE parts SET DateStyle = 'SQL, DMY'; ALTER DATABASE parts SET IntervalStyle = "
    "'sql_standard'; ALTER DATABASE parts SET extra_float_digits = 0;"
)
BIG = ("odd schema", 'Big "Ünï" table')


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    require("zstd")

    def setup(server: Postgres) -> None:
        pg_setup(server)
        server.sql("CREATE DATABASE parts")
        server.sql(PARTS_SETUP, "parts")
        server.sql(PARTS_DATABASE_SETTINGS)

    yield from serve(Postgres(), setup)


def _request(server: Postgres, databases: tuple[str, ...], split_bytes: int | None) -> DumpRequest:
    url = parse_database_url(f"postgresql://postgres@127.0.0.1:{server.port}/")
    return DumpRequest(url, databases, PG_PASSWORD, split_bytes=split_bytes)


def _decompressed(folder: Path, database: str) -> str:
    path = folder / "databases" / f"{database}.sql.zst"
    return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True, text=True).stdout


def _copy_blocks(sql: str) -> dict[str, str]:
    """Each COPY block of a plain dump: its COPY line -> its data lines."""
    blocks = {}
    for block in re.split(r"^(?=COPY [^\n]* FROM stdin;$)", sql, flags=re.MULTILINE)[1:]:
        line, _newline, rest = block.partition("\n")
        blocks[line] = rest[: ("\n" + rest).index("\n\\.\n")]  # an empty table's block: no line
    return blocks


def _counts(folder: Path) -> dict[tuple[str, str, str], int | None]:
    manifest = json.loads((folder / "manifest.json").read_text())
    tables = [(d["name"], t) for d in manifest["databases"] for t in d["tables"]]
    return {(name, t["schema"], t["name"]): t["rows"] for name, t in tables}


def test_the_largest_table_in_parts_is_what_pg_dump_writes_and_restores_the_same(postgres, tmp_path) -> None:
    databases = ("parts", "shop", "wiki")
    whole, split = tmp_path / "whole", tmp_path / "split"
    whole.mkdir()
    split.mkdir()
    dump.dump(_request(postgres, databases, None), whole)
    result = dump.dump(_request(postgres, databases, 1), split)
    assert _counts(split) == _counts(whole)
    assert _counts(split)[("parts", *BIG)] == 20000 and _counts(split)[("shop", "sales", "bulk")] == 20000
    for database in databases:
        blocks = _copy_blocks(_decompressed(split, database))
        # every table's rows, the parts' too, byte for byte, in order
        assert blocks == _copy_blocks(_decompressed(whole, database)), database
    text = _decompressed(split, "parts")
    copy_line = 'COPY "odd schema"."Big ""Ünï"" table" (id, at, d, span, ratio, note) FROM stdin;'
    assert text.count(copy_line) == 1  # one block: the parts inside it
    assert text.index(copy_line) < min(text.index("CREATE TRIGGER audit"), text.index("FOREIGN KEY"))
    assert [d.name for d in result.databases] == list(databases)

    before = pg_fingerprint(postgres) | {"parts": pg_table_sums(postgres, "parts")}
    for database in (*databases, "scratch"):
        postgres.sql(f"DROP DATABASE {database} WITH (FORCE)")
    postgres.sql("DROP ROLE reader; DROP ROLE readers; DROP ROLE app_owner;")
    pg_load(postgres, split, databases)
    after = pg_fingerprint(postgres) | {"parts": pg_table_sums(postgres, "parts")}
    assert after == before  # the audit table too: the trigger did not run while the rows loaded
    postgres.sql("CREATE DATABASE scratch")


def test_a_table_in_parts_is_one_snapshot_while_writes_go_on(postgres, tmp_path, capsys) -> None:
    postgres.sql("DROP DATABASE IF EXISTS busy WITH (FORCE); CREATE DATABASE busy;")
    postgres.sql(
        "CREATE TABLE orders (id int PRIMARY KEY, pad text); CREATE TABLE lines (order_id int PRIMARY KEY);"
        "INSERT INTO orders SELECT -g, repeat('x', 200) FROM generate_series(1, 20000) g;"
        "INSERT INTO lines SELECT -g FROM generate_series(1, 20000) g;"
        "CREATE PROCEDURE writer() LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..10000000 LOOP "
        "INSERT INTO orders VALUES (i, 'new'); INSERT INTO lines VALUES (i); "
        "UPDATE orders SET pad = 'moved' WHERE id = -1 - i % 20000; COMMIT; END LOOP; END $$;",
        "busy",
    )
    writer = threading.Thread(target=pg_call_writer, args=(postgres,), daemon=True)
    writer.start()
    wait_until(lambda: int(postgres.sql("SELECT count(*) FROM orders WHERE id > 0", "busy")) > 100)
    try:
        result = dump.dump(_request(postgres, ("busy",), 1), tmp_path)
    finally:
        postgres.sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL writer%'")
        writer.join(60)
    assert [t.name for t in result.databases[0].tables if t.rows is not None] == ["lines", "orders"]
    counts = {t.name: t.rows for t in result.databases[0].tables}
    postgres.sql("DROP DATABASE busy WITH (FORCE)")
    pg_load(postgres, tmp_path, ("busy",), roles=False)
    restored = postgres.sql("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM lines)", "busy")
    orders, lines = map(int, restored.strip().split("|"))
    assert orders == lines == counts["orders"] == counts["lines"] > 20000
    assert "dumped database busy: 2 tables, public.orders read in 2 parts" in capsys.readouterr().out
