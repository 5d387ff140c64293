"""The rows of each table counted in a plain-text dump as it streams by, whatever the pieces it comes in.

Pure. Both engines' dumps hold a table's rows in one section that a line of its own starts (PostgreSQL's
`COPY ... FROM stdin;`, mariadb-dump's `LOCK TABLES ... WRITE;`) and a line of its own ends (`\\.`,
`UNLOCK TABLES;`), one row a line (newlines inside values are escaped by both). Inside a section
nothing is kept: the rows are counted and the end found on the piece as it is (`byte_search`: SIMD
speed; a row of any length is fine, no line is assembled); only the lines between sections that may
start one are kept whole, to read the table's name.

A table whose section appears twice, or whose section the dump never ends, has no count (None): the
counts are exact or absent, never a guess (drills compare them with the restored tables').
"""

from __future__ import annotations

from .byte_search import count, find

TableKey = tuple[str, str]  # (schema, table)
TAIL_BYTES = 512  # the stream's last bytes kept (`tail`): a client's last line is in them


class SectionRowCounter:
    """Fed the dump's bytes in pieces; `rows` holds each table's row count (None: not countable), and
    `ends` where in the last piece a section's END line ended (the dump's writer starts a new
    compressed frame there: `databases.compress`).

    Subclasses set START (how a line that starts a section begins), END (the line that ends it, with
    its newline), ROW (what a row line begins with inside a section; b"" for every line) and
    `_section(line)` (the table a complete START line names, else None)."""

    START: bytes = b""
    END: bytes = b""
    ROW: bytes = b""

    def __init__(self) -> None:
        self.rows: dict[TableKey, int | None] = {}
        self._table: TableKey | None = None  # inside this table's section
        self._count = 0  # rows of the current section so far
        self._line: bytes | None = b""  # between sections: the current line while it may be a START line
        self._head: bytes | None = None  # inside: the current line while it may be the END line
        self.ends: list[int] = []  # offsets in the last piece fed just after a section's END line
        self.tail = b""  # the stream's last TAIL_BYTES bytes: whether the client ended it (`common`)

    def _section(self, line: bytes) -> TableKey | None:
        raise NotImplementedError

    def feed(self, data: bytes | bytearray, size: int | None = None) -> None:
        """Count `data[:size]` (all of it by default): the runner passes its reused read buffer."""
        end = len(data) if size is None else size
        position = 0
        self.ends = []
        if end:
            self.tail = (self.tail + bytes(data[max(0, end - TAIL_BYTES) : end]))[-TAIL_BYTES:]
        while position < end:
            if self._table is not None:
                position = self._inside(data, position, end)
                if self._table is None:
                    self.ends.append(position)
            else:
                position = self._between(data, position, end)

    def finish(self) -> dict[TableKey, int | None]:
        """The counts once the dump is over; a section the dump did not end is not counted."""
        if self._table is not None:
            self.rows[self._table] = None
            self._table = None
        return self.rows

    # --- between sections: lines that may start one are kept whole --------------------------------

    def _may_start(self, line: bytes) -> bool:
        return line.startswith(self.START) if len(line) >= len(self.START) else self.START.startswith(line)

    def _between(self, data: bytes | bytearray, position: int, end: int) -> int:
        if self._line is None:  # in a line that cannot start a section: on to the next one that may
            found = find(data, b"\n" + self.START, position, end)
            if found >= 0:
                self._line = b""
                return found + 1
            last = data.rfind(b"\n", position, end)
            if last >= 0:
                probe = bytes(data[last + 1 : min(end, last + 1 + len(self.START))])
                self._line = bytes(data[last + 1 : end]) if self._may_start(probe) else None
            return end
        newline = data.find(b"\n", position, end)
        stop = end if newline < 0 else newline
        probe = self._line + bytes(data[position : min(stop, position + len(self.START))])
        if not self._may_start(probe):  # decided on its first bytes: a long line is never copied
            self._line = None
            return stop  # at its newline: the search for the next START line includes it
        line = self._line + bytes(data[position:stop])
        if newline < 0:
            self._line = line
            return end
        self._line = b""
        table = self._section(line)
        if table is not None:
            self._table, self._count, self._head = table, 0, b""
        return newline + 1

    # --- inside a section: count, find the end ------------------------------------------------------

    def _close(self) -> None:
        assert self._table is not None
        key = self._table
        self.rows[key] = None if key in self.rows else self._count  # twice: which one would it be?
        self._table, self._line, self._head = None, b"", None

    def _inside(self, data: bytes | bytearray, position: int, end: int) -> int:
        end_line = self.END
        if self._head is not None:  # a line starts at `position` (after _head): is it the END line?
            take = min(len(end_line) - len(self._head), end - position)
            candidate = self._head + bytes(data[position : position + take])
            if candidate == end_line:
                self._close()
                return position + take
            if end_line.startswith(candidate) and position + take == end:
                self._head = candidate  # still may be: the next piece says
                return end
            if self.ROW and not self._head and data.startswith(self.ROW, position):
                self._count += 1  # a row line starting right at `position` (count() sees "\n" + ROW)
            self._head = None
        marker = self._find_end(data, position, end)
        row_start = b"\n" + self.ROW
        if marker >= 0:
            self._count += count(data, row_start, position, marker + 1)
            self._close()
            return marker + 1 + len(end_line)
        self._count += count(data, row_start, position, end)
        last = data.rfind(b"\n", position, end)
        if last >= 0:
            tail = bytes(data[last + 1 : end])
            self._head = tail if end_line.startswith(tail) else None
        return end

    def _find_end(self, data: bytes | bytearray, position: int, end: int) -> int:
        """Where the newline before the END line is in data[position:end], or -1."""
        return find(data, b"\n" + self.END, position, end)
