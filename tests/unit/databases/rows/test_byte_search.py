"""byte_search gives what the bytes methods give, for every slice of a haystack and the counters'
needles (the counters' tests then hold with it: tests/unit/databases/rows/test_*_rows.py)."""

import random

import pytest

from duplicity_cron.databases.rows.byte_search import count, find

NEEDLES = [b"\n", b"\n(", b"\nUNLOCK TABLES;\n", b"\n\\.\n", b"\nCOPY ", b"\nLOCK TABLES `"]


def _haystack(seed: int) -> bytearray:
    rng = random.Random(seed)
    pieces = [b"\n", b"(", b"UNLOCK TABLES;", b"\\.", b"COPY ", b"LOCK TABLES `", b"x", b"\n\n"]
    return bytearray(b"".join(rng.choice(pieces) for _ in range(200)))


@pytest.mark.parametrize("seed", range(20))
def test_count_and_find_are_the_bytes_methods_on_every_slice(seed):
    data = _haystack(seed)
    rng = random.Random(seed)
    for _ in range(300):
        start, end = rng.randrange(-5, len(data) + 5), rng.randrange(-5, len(data) + 5)
        start, end = max(start, 0), max(end, 0)  # the counters never pass negative offsets
        for needle in NEEDLES:
            assert count(data, needle, start, end) == data.count(needle, start, end), (needle, start, end)
            assert find(data, needle, start, end) == data.find(needle, start, end), (needle, start, end)
            assert find(bytes(data), needle, start, end) == data.find(needle, start, end)


def test_nothing_found_and_empty_slices():
    assert find(b"", b"\n(", 0, 0) == -1
    assert count(b"", b"\n", 0, 0) == 0
    assert count(b"\n(\n(", b"\n(", 3, 1) == 0
    assert find(b"\n(\n(", b"\n(", 3, 1) == -1
    assert count(b"\n\n\n", b"\n\n", 0, 3) == 1  # not overlapping, as bytes.count
