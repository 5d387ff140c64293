from __future__ import annotations

import itertools

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.postgresql import commands as pg
from duplicity_cron.databases.postgresql import parts
from duplicity_cron.databases.rows.copy_rows import LineCounter

URL = parse_database_url("postgresql://backup:Secret-Pw@db:5433/")
COPY_LINE = "COPY public.pgbench_accounts (aid, bid) FROM stdin;"
LINE = "\x1f".join(["public", "pgbench_accounts", "98361", COPY_LINE, "aid, bid", "UTF8"])
TABLE = parts.parse_candidate(LINE + "\n")


def test_the_candidate_line_is_parsed_and_an_empty_line_is_none() -> None:
    assert parts.SplitTable("public", "pgbench_accounts", 98361, COPY_LINE, "aid, bid", "UTF8") == TABLE
    assert parts.parse_candidate("\n") is None
    assert "pg_relation_size(c.oid) >= 268435456" in parts.candidate_sql(parts.SPLIT_BYTES)
    assert "format('COPY %I.%I (%s) FROM stdin;'" in parts.candidate_sql(1)


def test_parts_only_from_postgresql_14_and_when_asked() -> None:
    assert parts.splits((14, 0), 1) and parts.splits((18, 1), parts.SPLIT_BYTES)
    assert not parts.splits((13, 20), 1) and not parts.splits((17, 2), None)


@pytest.mark.parametrize(
    ("pages", "count", "expected"),
    [
        (98361, 2, [(None, 49180), (49180, None)]),
        (10, 3, [(None, 3), (3, 6), (6, None)]),
        (0, 2, [(None, 0), (0, None)]),
    ],
)
def test_page_ranges_leave_nothing_out(pages: int, count: int, expected: list) -> None:
    ranges = parts.page_ranges(pages, count)
    assert ranges == expected
    assert ranges[0][0] is None and ranges[-1][1] is None  # open at both ends: rows added later too
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap, no overlap


def test_a_part_reads_its_pages_from_the_snapshot_with_pg_dump_s_settings() -> None:
    assert TABLE is not None
    statements = parts.part_sql(TABLE, "00000003-0000001B-1", 10, 20)
    assert statements[0] == (
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1';"
    )
    assert {"SET DateStyle = ISO;", "SET extra_float_digits = 3;", "SET row_security = off;"} <= set(
        statements[1].replace("; ", ";\n").splitlines()
    )
    assert statements[2] == (
        'COPY (SELECT aid, bid FROM ONLY "public"."pgbench_accounts" '
        "WHERE ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid) TO STDOUT;"
    )
    first, last = parts.part_sql(TABLE, "1-2", None, 5)[2], parts.part_sql(TABLE, "1-2", 5, None)[2]
    assert "WHERE ctid < '(5,0)'::tid)" in first and "WHERE ctid >= '(5,0)'::tid)" in last
    with pytest.raises(ValueError, match="not a snapshot name"):
        parts.part_sql(TABLE, "1'; DROP TABLE x; --", None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00000003-0000001B-1", True),
        ("1-2", True),
        ("", False),
        ("1'; DROP TABLE x; --", False),
        ("1 2", False),
    ],
)
def test_is_snapshot_name(text: str, expected: bool) -> None:
    assert parts.is_snapshot_name(text) is expected


def test_the_commands_name_the_table_and_hold_no_password() -> None:
    assert TABLE is not None
    odd = parts.SplitTable('we"ird', "t.a*b", 1, "", "x", "LATIN1")
    assert parts.table_pattern(odd) == '"we""ird"."t.a*b"'
    assert parts.lock_sql(odd) == 'LOCK TABLE ONLY "we""ird"."t.a*b" IN ACCESS SHARE MODE;\n'
    pattern = parts.table_pattern(TABLE)
    first = pg.dump_command(URL, "Secret-Pw", "bench", "1-2", ("pre-data", "data"), pattern)
    assert first.argv[3] == "--create"
    assert first.argv[-3:] == ["--section=pre-data", "--section=data",
                               '--exclude-table-data="public"."pgbench_accounts"']  # fmt: skip
    last = pg.dump_command(URL, "Secret-Pw", "bench", "1-2", ("post-data",))
    assert "--create" not in last.argv and last.argv[-1] == "--section=post-data"
    part = pg.part_command(URL, "Secret-Pw", "bench", ["SELECT 1;", "SELECT 2;"], "LATIN1")
    assert part.argv[-4:] == ["-c", "SELECT 1;", "-c", "SELECT 2;"]
    assert part.env == {"PGPASSWORD": "Secret-Pw", "PGCLIENTENCODING": "LATIN1"}
    for command in (first, last, part):
        assert "Secret-Pw" not in " ".join(command.argv)


def test_a_part_s_rows_are_its_lines_whatever_the_pieces() -> None:
    data = b"".join(f"{i}\tvalue \\n {i}\n".encode() for i in range(1000))
    for size in (1, 7, 4096, len(data)):
        counter = LineCounter()
        for start in range(0, len(data), size):
            counter.feed(bytearray(data[start : start + size]))
        assert counter.lines == 1000 and counter.ends == []
    buffer = bytearray(b"1\n2\n3\nleft over")
    counter = LineCounter()
    counter.feed(buffer, 4)
    assert counter.lines == 2
