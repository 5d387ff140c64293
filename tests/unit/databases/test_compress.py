from __future__ import annotations

import io
import subprocess

import pytest

from duplicity_cron.databases.compress import DumpWriter, frame_cuts
from duplicity_cron.databases.rows.copy_rows import CopyRowCounter

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # each frame's first bytes


def _table(name: str, rows: int, value: str = "x") -> bytes:
    lines = b"".join(f"{i}\t{value} {i % 7}\n".encode() for i in range(rows))
    return f"COPY public.{name} (id, v) FROM stdin;\n".encode() + lines + b"\\.\n\n"


def _dump(*tables: bytes) -> bytes:
    return b"--\n-- PostgreSQL database dump\n--\n\n" + b"".join(tables) + b"-- the end\n"


def _write(data: bytes, piece: int = 1 << 20) -> tuple[bytes, CopyRowCounter]:
    out, counter = io.BytesIO(), CopyRowCounter()
    writer = DumpWriter(out, counter)
    buffer = bytearray(piece)
    for start in range(0, len(data), piece):
        chunk = data[start : start + piece]
        buffer[: len(chunk)] = chunk
        writer(buffer, len(chunk))
    writer.close()
    return out.getvalue(), counter


def _frames(compressed: bytes) -> list[bytes]:
    """The frames of a file written by DumpWriter (their magic bytes do not occur inside them here)."""
    starts = [i for i in range(len(compressed)) if compressed.startswith(ZSTD_MAGIC, i)]
    return [compressed[a:b] for a, b in zip(starts, [*starts[1:], len(compressed)], strict=True)]


def test_frame_cuts_end_a_frame_at_a_table_s_end_once_it_holds_the_minimum():
    assert frame_cuts([], 100, 0, minimum=50) == ([], 100)
    assert frame_cuts([30, 80], 100, 0, minimum=50) == ([80], 20)
    assert frame_cuts([30, 80], 100, 40, minimum=50) == ([30, 80], 20)  # 40 held before the piece
    assert frame_cuts([100], 100, 0, minimum=50) == ([100], 0)


@pytest.mark.parametrize("piece", [1 << 20, 4096, 777])
def test_the_file_is_the_dump_compressed_and_the_rows_are_counted(tmp_path, piece):
    data = _dump(_table("a", 30_000), _table("b", 5), _table("c", 50_000, "other"))
    compressed, counter = _write(data, piece)
    assert counter.finish() == {("public", "a"): 30_000, ("public", "b"): 5, ("public", "c"): 50_000}
    (tmp_path / "d.sql.zst").write_bytes(compressed)
    restored = subprocess.run(["zstd", "-dc", str(tmp_path / "d.sql.zst")], capture_output=True, check=True)
    assert restored.stdout == data


def test_an_unchanged_table_keeps_its_compressed_bytes_when_another_changes():
    """What a nightly incremental needs: the frame of a table that did not change is the same bytes."""
    big = _table("big", 120_000)  # > FRAME_INPUT: ends its own frame
    before, _ = _write(_dump(_table("small", 10), big, _table("last", 90_000)))
    after, _ = _write(_dump(_table("small", 11), big, _table("last", 90_000)))
    old, new = _frames(before), _frames(after)
    assert len(old) == len(new) == 2
    assert old[0] != new[0]  # small changed: the frame holding it and `big`
    assert old[1] == new[1]  # `last` and the end, unchanged


def test_a_dump_of_nothing_is_a_valid_empty_file(tmp_path):
    compressed, _ = _write(b"")
    (tmp_path / "e.zst").write_bytes(compressed)
    assert (
        subprocess.run(["zstd", "-dc", str(tmp_path / "e.zst")], capture_output=True, check=True).stdout
        == b""
    )


def test_the_runner_s_own_bytes_are_compressed_but_not_counted() -> None:
    out, counter = io.BytesIO(), CopyRowCounter()
    writer = DumpWriter(out, counter)
    writer.add(b"COPY public.t (id) FROM stdin;\n")
    body = bytearray(b"1\n2\n")
    writer(body, len(body))
    writer.add(b"\\.\n\n")
    writer.close()
    decoded = subprocess.run(["zstd", "-dc"], input=out.getvalue(), capture_output=True, check=True).stdout
    assert decoded == b"COPY public.t (id) FROM stdin;\n1\n2\n\\.\n\n"
    assert counter.finish() == {}  # the COPY line went around the counter: it saw two lines of nothing
