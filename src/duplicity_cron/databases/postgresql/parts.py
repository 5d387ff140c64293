"""A database's largest table read in parts, beside the rest of its dump, all from one snapshot.

Pure. Why: pg_dump reads each table in one COPY, one server process; on a database whose largest table
is most of it, that one COPY is the dump's whole critical path (measured: pgbench's 6 M rows, 4.6-5.2 s
of a 5.5 s dump). Here, with PostgreSQL 14 or later (TID range scans read just the pages asked for):

    pg_dump --snapshot=S --section=pre-data --section=data --exclude-table-data=T   (its file, counted)
    COPY T (columns) FROM stdin;                           written by the runner
    psql: SET TRANSACTION SNAPSHOT 'S'; COPY (SELECT columns FROM ONLY T
          WHERE ctid >= '(a,0)' AND ctid < '(b,0)') TO STDOUT        one part a session, at once
    \\.
    pg_dump --snapshot=S --section=post-data                        indexes, constraints, triggers

The pieces are compressed each into its own file and joined in this order (zstd frames concatenate):
one plain SQL script that psql loads as it loads pg_dump's, T's rows in one COPY block before its
indexes and triggers exist. Every piece reads the snapshot the database's session exported and still
holds (with an ACCESS SHARE lock on T, so that no TRUNCATE empties it meanwhile); the parts' sessions
set what pg_dump sets for the values' text (DateStyle, IntervalStyle, extra_float_digits, the
database's encoding), so the rows are the bytes pg_dump would have written.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commands import identifier

MIN_SERVER = (14, 0)  # TID range scans; before, each part would read the whole table
SPLIT_BYTES = 256 << 20  # a table's heap at least this large is read in parts
PARTS = 2
SEPARATOR = "\x1f"

# The largest plain table of at least %(bytes)s bytes, with its pages, pg_dump's COPY line for it and
# the database's encoding; an empty line when none is. Extensions' tables are left out (pg_dump leaves
# out their data) and so are tables without columns.
CANDIDATE_SQL = """SELECT coalesce((SELECT concat_ws(E'\\x1f', n.nspname, c.relname,
  pg_relation_size(c.oid) / current_setting('block_size')::int,
  format('COPY %%I.%%I (%%s) FROM stdin;', n.nspname, c.relname, cols.list), cols.list,
  (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()))
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS list
  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = '') cols
 WHERE c.relkind = 'r' AND cols.list IS NOT NULL AND pg_relation_size(c.oid) >= %(bytes)s
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
   AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY pg_relation_size(c.oid) DESC, 1 LIMIT 1), '');
"""
# What pg_dump sets before it reads data (pg_backup_db / pg_dump.c: setup_connection), for the values'
# text and so that no timeout of the server's or the role's ends a long part.
SESSION_SETTINGS = (
    "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; "
    "SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
    "SET row_security = off;"
)
END_OF_COPY = b"\\.\n\n"


@dataclass(frozen=True)
class SplitTable:
    schema: str
    name: str
    pages: int
    copy_line: str  # pg_dump's `COPY schema.table (columns) FROM stdin;`
    columns: str  # the columns, quoted as needed, comma-separated
    encoding: str  # the database's: what pg_dump's output is in


def candidate_sql(split_bytes: int) -> str:
    return CANDIDATE_SQL % {"bytes": int(split_bytes)}


def splits(server: tuple[int, int], split_bytes: int | None) -> bool:
    """Whether a table of this server may be read in parts (None: never)."""
    return split_bytes is not None and server >= MIN_SERVER


def parse_candidate(line: str) -> SplitTable | None:
    """CANDIDATE_SQL's line, or None for its empty line."""
    if not line.strip():
        return None
    schema, name, pages, copy_line, columns, encoding = line.rstrip("\n").split(SEPARATOR)
    return SplitTable(schema, name, int(pages), copy_line, columns, encoding)


def quoted_table(table: SplitTable) -> str:
    return f"{identifier(table.schema)}.{identifier(table.name)}"


def table_pattern(table: SplitTable) -> str:
    """T as a pg_dump pattern: inside double quotes every character is itself (`"` doubled)."""
    return quoted_table(table)


def lock_sql(table: SplitTable) -> str:
    return f"LOCK TABLE ONLY {quoted_table(table)} IN ACCESS SHARE MODE;\n"


def page_ranges(pages: int, parts: int = PARTS) -> list[tuple[int | None, int | None]]:
    """Each part's [first page, end page) of a table of `pages` pages; the first part has no lower
    bound and the last no upper one (the table may have grown since it was measured: those pages'
    rows are not in the snapshot, but nothing is ever left out)."""
    bounds = [pages * index // parts for index in range(1, parts)]
    lows: list[int | None] = [None, *bounds]
    highs: list[int | None] = [*bounds, None]
    return list(zip(lows, highs, strict=True))


def part_sql(table: SplitTable, snapshot: str, first: int | None, end: int | None) -> list[str]:
    """The statements (one `psql -c` each) of one part's session: the snapshot, pg_dump's settings,
    the COPY of the part's pages to its standard output."""
    conditions = []
    if first is not None:
        conditions.append(f"ctid >= '({first},0)'::tid")
    if end is not None:
        conditions.append(f"ctid < '({end},0)'::tid")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    select = f"SELECT {table.columns} FROM ONLY {quoted_table(table)}{where}"
    return [
        f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{_snapshot(snapshot)}';",
        SESSION_SETTINGS,
        f"COPY ({select}) TO STDOUT;",
        "COMMIT;",
    ]


def is_snapshot_name(text: str) -> bool:
    """Whether `text` is a snapshot name as pg_export_snapshot gives it: hex digits and dashes (the
    parts' SQL quotes it as it is)."""
    return bool(text) and all(char in "0123456789ABCDEFabcdef-" for char in text)


def _snapshot(snapshot: str) -> str:
    """`snapshot` when it is a snapshot name, else ValueError (the runner checked it already)."""
    if not is_snapshot_name(snapshot):
        raise ValueError(f"not a snapshot name: {snapshot[:80]!r}")
    return snapshot
