"""A database dump into its `.sql.zst` file as it streams from the client: its rows counted, its bytes
compressed in this process, a new zstd frame after a table's data.

Why here and not in a `zstd` process: the runner reads the dump anyway to count its rows, and writing
it into a pipe for zstd to read cost more CPU than compressing it (the libzstd of `backports.zstd`,
the standard library's `compression.zstd` from Python 3.14, releases the GIL while it works).

Why frames: a compressor's output after a change differs to the end of its frame, and duplicity's
librsync delta of the file then carries all of it. Every frame here ends just after a table's data
once it holds FRAME_INPUT bytes of the dump (small tables share one), so that a table that did not
change keeps its compressed bytes from one night to the next, wherever it lies in the file, and a
changed one costs its own frame. zstd's output is deterministic for the same input whatever pieces it
comes in, and `zstd -dc` reads the concatenated frames as one stream.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

from .rows.dump_rows import SectionRowCounter

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

LEVEL = 1  # zstd's fastest level of full strength: ~300 MB/s of text on one core of this machine
FRAME_INPUT = 1 << 20  # bytes of the dump at least in a frame before it may end at a table's end


def frame_cuts(
    ends: list[int], size: int, in_frame: int, minimum: int = FRAME_INPUT
) -> tuple[list[int], int]:
    """Where in a piece of `size` bytes to end frames, given where tables' data ended in it (`ends`)
    and the bytes the current frame held before it (`in_frame`); and what the frame then holds.

    Pure. A frame ends at a table's end once it holds `minimum` bytes."""
    cuts, start = [], 0
    for end in ends:
        if in_frame + end - start >= minimum:
            cuts.append(end)
            in_frame, start = 0, end
    return cuts, in_frame + size - start


class DumpWriter:
    """Called with each piece of the dump (the runner's reused read buffer and its size): counts its
    rows (`counter.feed`), compresses it into `out`; `close()` ends the last frame."""

    def __init__(self, out: BinaryIO, counter: SectionRowCounter) -> None:
        self.out, self.counter = out, counter
        self._compressor = zstd.ZstdCompressor(level=LEVEL)
        self._in_frame = 0
        self._empty = True  # nothing written yet: close() still writes a (valid, empty) frame

    def __call__(self, buffer: bytearray, size: int) -> None:
        self.counter.feed(buffer, size)
        cuts, self._in_frame = frame_cuts(self.counter.ends, size, self._in_frame)
        view, start = memoryview(buffer), 0
        self._empty = self._empty and size == 0
        for cut in cuts:
            self.out.write(self._compressor.compress(view[start:cut]))
            self.out.write(self._compressor.flush(zstd.ZstdCompressor.FLUSH_FRAME))
            start = cut
        if start < size:
            self.out.write(self._compressor.compress(view[start:size]))

    def add(self, data: bytes) -> None:
        """Bytes of the runner's own (a COPY line around a table's parts): compressed, not counted."""
        if data:
            self.out.write(self._compressor.compress(data))
            self._in_frame += len(data)
            self._empty = False

    def close(self) -> None:
        if self._in_frame or self._empty:
            self.out.write(self._compressor.flush(zstd.ZstdCompressor.FLUSH_FRAME))
