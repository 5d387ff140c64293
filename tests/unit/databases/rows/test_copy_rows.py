from __future__ import annotations

import pytest

from duplicity_cron.databases.rows.copy_rows import CopyRowCounter, copy_table

DUMP = (
    b"--\n-- PostgreSQL database dump\n--\n\n"
    b"CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$\nSELECT 'COPY not.this FROM x'\n$$;\n"
    b"COPY public.items (id, name) FROM stdin;\n"
    b"1\tfirst\n2\ta \\\\. and \\n escaped newline\n3\t\\N\n"
    b"\\.\n\n"
    b"COPY public.empty (id) FROM stdin;\n\\.\n"
    b'COPY "Odd ""Schema"""."ta ble.x" ("col ) x", y) FROM stdin;\n'
    b"a\tb\n"
    b"\\.\n"
    b"COPY public.nocolumns FROM stdin;\n\n\n\\.\n"
    b"COPY public.bare  FROM stdin;\n\n\\.\n"  # pg_dump's own line for a table without columns
    b"SELECT pg_catalog.setval('public.items_id_seq', 3, true);\n"
)
EXPECTED = {
    ("public", "items"): 3,
    ("public", "empty"): 0,
    ('Odd "Schema"', "ta ble.x"): 1,
    ("public", "nocolumns"): 2,
    ("public", "bare"): 1,
}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, len(DUMP)])
def test_rows_are_counted_whatever_the_pieces(size):
    counter = CopyRowCounter()
    for start in range(0, len(DUMP), size):
        counter.feed(DUMP[start : start + size])
    assert counter.rows == EXPECTED


def test_a_long_row_split_over_many_pieces_is_one_row():
    counter = CopyRowCounter()
    counter.feed(b"COPY public.blobs (data) FROM stdin;\n")
    for _ in range(100):
        counter.feed(b"\\\\x" + b"ab" * 1000)
    counter.feed(b"\n\\.\nCOPY public.next (id) FROM stdin;\n1\n\\.\n")
    assert counter.finish() == {("public", "blobs"): 1, ("public", "next"): 1}


def test_a_block_the_dump_does_not_end_or_that_comes_twice_has_no_count():
    counter = CopyRowCounter()
    counter.feed(b"COPY public.a (id) FROM stdin;\n1\n\\.\nCOPY public.a (id) FROM stdin;\n2\n\\.\n")
    counter.feed(b"COPY public.b (id) FROM stdin;\n1\n2\n")
    assert counter.finish() == {("public", "a"): None, ("public", "b"): None}


def test_the_runner_s_reused_buffer_is_counted_up_to_its_size():
    counter = CopyRowCounter()
    buffer = bytearray(DUMP + b"COPY public.items (id) FROM stdin;\n9\n")
    counter.feed(buffer, len(DUMP))
    assert counter.finish() == EXPECTED


@pytest.mark.parametrize(
    ("line", "table"),
    [
        ("COPY public.items (id, name) FROM stdin;", ("public", "items")),
        ('COPY "my schema"."T" (id) FROM stdin;', ("my schema", "T")),
        ("COPY public.t FROM stdin;", ("public", "t")),
        ("COPY public.t (id) FROM '/etc/passwd';", None),
        ("COPY (SELECT 1) TO stdout;", None),
        ("-- COPY public.t (id) FROM stdin;", None),
    ],
)
def test_copy_table(line, table):
    assert copy_table(line) == table


def test_ends_say_where_in_the_piece_each_block_ended():
    counter = CopyRowCounter()
    block = b"COPY public.a (id) FROM stdin;\n1\n\\.\n"
    counter.feed(block + b"SELECT 1;\n" + block.replace(b".a ", b".b "))
    assert counter.ends == [len(block), 2 * len(block) + len(b"SELECT 1;\n")]
    counter.feed(b"COPY public.c (id) FROM stdin;\n1\n\\")  # the end line is split over two pieces
    assert counter.ends == []
    counter.feed(b".\nmore\n")
    assert counter.ends == [2]


@pytest.mark.parametrize("size", [1, 3, 64, 1000])
def test_a_block_right_after_a_line_that_cannot_start_one_is_counted(size):
    dump = (
        b"x\nCOPY public.a (id) FROM stdin;\n1\n\\.\nSELECT 1;\nCOPY public.b (id) FROM stdin;\n1\n2\n\\.\n"
    )
    counter = CopyRowCounter()
    for start in range(0, len(dump), size):
        counter.feed(dump[start : start + size])
    assert counter.finish() == {("public", "a"): 1, ("public", "b"): 2}


@pytest.mark.parametrize("size", [1, 7, 600, len(DUMP)])
def test_the_streams_last_bytes_are_kept_whatever_the_pieces(size):
    counter = CopyRowCounter()
    stream = DUMP * 10
    for start in range(0, len(stream), size):
        counter.feed(stream[start : start + size])
    assert counter.tail == stream[-512:]
