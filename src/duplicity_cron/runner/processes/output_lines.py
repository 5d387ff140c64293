"""Splitting a step's output pipes into lines."""

from __future__ import annotations

import os
from collections.abc import Callable

MAX_LINE = 64 * 1024  # longer lines are cut; the rest of such a line is dropped


class LineReader:
    """Splits a pipe's bytes into lines (decoded as UTF-8, invalid bytes replaced).

    A line longer than 64 KiB is passed on cut, with `cut=True` (so that the masker can hide a secret
    that the cut splits), and the rest of it is dropped.
    """

    def __init__(self, stream: str, on_line: Callable[..., None]) -> None:
        self.stream = stream
        self.on_line = on_line
        self.buffer = b""
        self.dropping = False  # inside the rest of a line that was cut

    def read_from(self, fd: int) -> bool:
        """Read what is available; False at end of file."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        *lines, rest = (self.buffer + chunk).split(b"\n")
        for line in lines:
            if self.dropping:
                self.dropping = False  # the end of the cut line
            else:
                self._emit(line)
        if self.dropping:
            rest = b""
        elif len(rest) > MAX_LINE:
            self._emit(rest)
            rest, self.dropping = b"", True
        self.buffer = rest
        return True

    def flush(self) -> None:
        if self.buffer and not self.dropping:
            self._emit(self.buffer)
        self.buffer = b""

    def _emit(self, raw: bytes) -> None:
        cut = len(raw) > MAX_LINE
        text = raw[:MAX_LINE].decode("utf-8", errors="replace").rstrip("\r")
        if cut:
            self.on_line(self.stream, text, cut=True)
        else:
            self.on_line(self.stream, text)
