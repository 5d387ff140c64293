"""A script's bytes read as they come: statement lines one at a time, for the parallel loads' plans
(`postgresql.script`, `mariadb.script`), whose readers add how a table's rows are taken in pieces.

Pure: `pull` gives the bytes (b"" at the end).
"""

from __future__ import annotations

from collections.abc import Callable

Pull = Callable[[], bytes]


class LineReader:
    """A script's bytes as `pull` gives them (b"" at its end), a line at a time (`readline`)."""

    def __init__(self, pull: Pull) -> None:
        self._pull, self._buffer, self._at = pull, b"", 0
        self.ended = False  # whether `pull` gave its end

    def _fill(self) -> bool:
        more = self._pull()
        if not more:
            self.ended = True
            return False
        self._buffer, self._at = self._buffer[self._at :] + more, 0
        return True

    def readline(self) -> bytes:
        """The next line with its newline (the last one may have none); b"" at the end."""
        while (end := self._buffer.find(b"\n", self._at)) < 0:
            if not self._fill():
                line, self._buffer, self._at = self._buffer[self._at :], b"", 0
                return line
        line, self._at = self._buffer[self._at : end + 1], end + 1
        return line
