"""A `mariadb-dump --databases` script cut into the phases of a parallel load, in the order
`pg_restore -j` uses: what runs alone, what runs on several connections at once.

Pure. mariadb-dump writes each table's structure, then its rows, then its triggers, one table after
another, then the database's events, routines and views. `Planner` reads the script's statement
lines (never the rows, which the loader passes on in large pieces: `Reader.insert_pieces`) and says
where each goes:

- `PRE`: the header (the session's settings), CREATE DATABASE, USE, each table's DROP and CREATE
  TABLE, a view's stand-in, and `ALTER TABLE ... DISABLE KEYS` of a table whose engine defers its
  keys (MyISAM, Aria), in order, on one connection: the loader waits for a table's CREATE to be run
  before it deals its rows;
- `ROWS`: a table's `LOCK TABLES ... WRITE` line, which begins its INSERT statements: dealt whole to
  several sessions at once, a large table's to all of them, without the LOCK TABLES bracket (one
  session holds a table's WRITE lock; each session begins with the header's settings instead:
  SET NAMES, TIME_ZONE, UNIQUE_CHECKS=0, FOREIGN_KEY_CHECKS=0, SQL_MODE, and the script's USE);
- `KEYS`: `ALTER TABLE ... ENABLE KEYS` of such a table (its keys built), at once, after all rows;
- `REST`: everything else after a table's rows, in order, on one connection, last: the triggers
  (mariadb-dump writes a table's after its rows; here after all rows, so that none fires during the
  load), events, routines, the views' final structure and the settings restored at the end;
- `SKIP`: `UNLOCK TABLES`, and DISABLE/ENABLE KEYS of an InnoDB table (a no-op there).

Lines inside a `DELIMITER ;;` block (a trigger, an event, a routine body) are never read as one of
these kinds: they go where their block goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..lines import LineReader

PRE, ROWS, KEYS, REST, SKIP = "pre", "rows", "keys", "rest", "skip"
NO_KEYS_TO_DEFER = frozenset({b"innodb"})  # DISABLE KEYS does nothing to these engines' tables

_STRUCTURE = (b"-- Table structure for table ", b"-- Temporary table structure for view ")
_DATA = b"-- Dumping data for table "
_CURRENT = b"-- Current Database: "
_LATER = (
    b"-- Dumping events for database ",
    b"-- Dumping routines for database ",
    b"-- Final view structure",
)
_LOCK = b"LOCK TABLES "
_UNLOCK = b"UNLOCK TABLES;"
_KEYS = re.compile(rb"^/\*!40000 ALTER TABLE (?P<table>`(?:[^`]|``)+`) (?P<what>DISABLE|ENABLE) KEYS \*/;")
_CREATE_TABLE = re.compile(rb"^CREATE TABLE (?P<table>`(?:[^`]|``)+`) \(")
_ENGINE = re.compile(rb"^\) ENGINE=(?P<engine>\w+)")
_ROW_ENDS = (b"\n/*!40000 ALTER TABLE ", b"\n" + _UNLOCK)


def is_keys(line: bytes) -> bool:
    """Whether `line` is mariadb-dump's `ALTER TABLE ... DISABLE KEYS` or `ENABLE KEYS`."""
    return bool(_KEYS.match(line))


class Planner:
    """Where each statement line of a script goes, in the script's order (`route`)."""

    def __init__(self) -> None:
        self.entry = PRE  # where the current entry's lines go
        self.header: list[bytes] = []  # the settings before CREATE DATABASE
        self.in_header = True
        self.use = b""  # the script's last USE line
        self.delimited = False  # inside `DELIMITER ;;`
        self.table = b""  # the table whose CREATE TABLE was read last
        self.engines: dict[bytes, bytes] = {}  # table (quoted) -> its engine, lower-cased

    def route(self, line: bytes) -> str:
        """Where `line` goes: PRE, ROWS, KEYS, REST or SKIP."""
        if self.delimited:
            self.delimited = not (line.startswith(b"DELIMITER ") and not line.startswith(b"DELIMITER ;;"))
            return self.entry
        if line.startswith(b"DELIMITER ;;"):
            self.delimited = True
        elif line.startswith(b"-- "):
            if line.startswith(_STRUCTURE) or line.startswith(_DATA):
                self.entry, self.in_header = PRE, False
            elif line.startswith(_CURRENT):
                self.entry = PRE if self.in_header else REST
            elif line.startswith(_LATER):
                self.entry = REST
        elif self.in_header and line.startswith((b"CREATE DATABASE ", b"USE ")):
            self.in_header = False
        elif self.in_header and line.strip():
            self.header.append(line if line.endswith(b"\n") else line + b"\n")
            return PRE
        if line.startswith(b"USE "):
            self.use = line if line.endswith(b"\n") else line + b"\n"
        elif self.entry == PRE and (created := _CREATE_TABLE.match(line)):
            self.table = created["table"]
            self.engines.setdefault(self.table, b"")
        elif self.entry == PRE and self.table and (engine := _ENGINE.match(line)):
            self.engines[self.table] = engine["engine"].lower()
        elif self.entry == PRE and line.startswith(_LOCK):
            return ROWS
        elif line.startswith(_UNLOCK):
            self.entry = REST  # what follows a table's rows: its triggers
            return SKIP
        elif keys := _KEYS.match(line):
            if self.engines.get(keys["table"], b"") in NO_KEYS_TO_DEFER:
                return SKIP
            return PRE if keys["what"] == b"DISABLE" else KEYS
        return self.entry

    def prefix(self) -> bytes:
        """What a session of its own starts with: the header's settings and the script's USE."""
        return b"".join(self.header) + self.use


class Reader(LineReader):
    """A script's bytes as `pull` gives them: statement lines one at a time (`readline`, `peek`), a
    table's INSERT statements in large pieces of whole statements (`insert_pieces`: mariadb-dump
    writes no raw newline in a value, begins each statement on a line of its own, `INSERT INTO`, and
    each row of it on one of its own, `(...)`)."""

    def peek(self) -> bytes:
        """The next line, left to be read."""
        while (end := self._buffer.find(b"\n", self._at)) < 0:
            if not self._fill():
                return self._buffer[self._at :]
        return self._buffer[self._at : end + 1]

    def insert_pieces(self) -> Iterator[bytes]:
        """The statements of the rows of the table whose LOCK TABLES (and DISABLE KEYS) line was just
        read, in pieces of whole statements, up to its ENABLE KEYS or UNLOCK TABLES line (left to be
        read); ValueError when the script ends before it."""
        while True:
            buffer, at = self._buffer, self._at
            if len(buffer) - at >= len(_ROW_ENDS[0]) or self.ended:
                if buffer.startswith(tuple(end[1:] for end in _ROW_ENDS), at):
                    return
                found = [end for end in (buffer.find(marker, at) for marker in _ROW_ENDS) if end >= 0]
                if found:
                    self._at = min(found) + 1
                    yield buffer[at : self._at]
                    continue
                cut = buffer.rfind(b"\nINSERT ", at)
                if cut >= at:
                    self._at = cut + 1
                    yield buffer[at : self._at]
            if not self._fill():
                raise ValueError("the dump ends inside the rows of a table (no line UNLOCK TABLES;)")
