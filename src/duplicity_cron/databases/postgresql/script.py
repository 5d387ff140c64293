"""A `pg_dump --create` script cut into the phases of a parallel load, in the order `pg_restore -j`
uses: what runs alone, what runs on several connections at once.

Pure: `Planner` reads the script's statement lines (never the rows of a COPY block, which the loader
passes on in large pieces) and says where each goes:

- `PRE`: everything before the first table's data (the header, CREATE DATABASE, `\\connect`, the
  schema: types, functions, tables, views), in order, on one connection, first;
- `DATA`: each table's data entry (`-- Data for Name: t; Type: TABLE DATA`: its COPY block), a job
  of its own, and a large one cut into several (the loader's pieces, each its own COPY), all at once;
- `INDEX`: each index and each primary key, unique or exclusion constraint after the data
  (`Type: INDEX`, `Type: CONSTRAINT`), a job of its own, all at once once the data is in;
- `REST`: everything else after the first table's data, in order, on one connection, last: the
  sequences' values, large objects, foreign keys (after the indexes they need), triggers, rules,
  materialized views' data, privileges, comments, and the script's `\\unrestrict`.

pg_dump writes a comment header before each entry (pg_backup_archiver.c, `_printTocEntry`), and the
session's settings it needs (`SET default_tablespace`, `search_path`...) before that header; the
planner keeps the settings in effect and `prefix()` gives them to each job that runs apart, with the
script's `\\restrict` line (psql 17.6, 16.10, 15.14 and later) when it has one. A script with no
table data is all `PRE`: loaded as one script, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..lines import LineReader

PRE, DATA, INDEX, REST = "pre", "data", "index", "rest"
DATA_TYPE = "TABLE DATA"
INDEX_TYPES = frozenset({"INDEX", "CONSTRAINT"})  # not FK CONSTRAINT, CHECK CONSTRAINT: those run in REST

_HEADER = re.compile(rb"^-- (?:Data for )?Name: .*; Type: (?P<type>[A-Z][A-Z ]*); Schema: [^;]*; Owner: ")
_COPY = re.compile(rb"^COPY .* FROM stdin;\r?\n?$")
_SET = re.compile(rb"^(?:SET (?:SESSION AUTHORIZATION|(?P<name>[\w.]+) (?:=|TO) ))")
_SET_CONFIG = re.compile(rb"^SELECT pg_catalog\.set_config\('(?P<name>[\w.]+)', ")
_RESET_AUTHORIZATION = b"RESET SESSION AUTHORIZATION;"
_RESTRICT = b"\\restrict "
_UNRESTRICT = b"\\unrestrict "
_CONNECT = b"\\connect "
SESSION_AUTHORIZATION = b"session authorization"


def entry_type(line: bytes) -> str | None:
    """The type of the entry whose header comment `line` is (`TABLE DATA`, `INDEX`...), else None."""
    found = _HEADER.match(line)
    return None if found is None else found["type"].decode().strip()


def is_copy(line: bytes) -> bool:
    """Whether `line` starts a COPY block (its rows follow, up to a line `\\.`)."""
    return bool(_COPY.match(line))


def setting(line: bytes) -> bytes | None:
    """The session setting a top-level line sets (`SET name = ...`, `set_config('name', ...)`,
    `SET/RESET SESSION AUTHORIZATION`), else None."""
    if line.rstrip().startswith(_RESET_AUTHORIZATION):
        return SESSION_AUTHORIZATION
    found = _SET.match(line) or _SET_CONFIG.match(line)
    if found is None:
        return None
    return found["name"] or SESSION_AUTHORIZATION


class Planner:
    """Where each statement line of a script goes, in the script's order (`route`)."""

    def __init__(self) -> None:
        self.phase = PRE
        self.settings: dict[bytes, bytes] = {}
        self.restrict = b""
        self.entry = PRE  # where the current entry's lines go
        self.new_job = False  # whether the last line routed began a job of its own (DATA, INDEX)
        self.copying = False  # set by the caller between a COPY line and its `\\.`

    def route(self, line: bytes) -> str:
        """Where `line` goes: PRE, DATA, INDEX or REST (for DATA and INDEX, `new_job` says whether it
        begins an entry: a job of its own)."""
        self.new_job = False
        kind = entry_type(line) if line.startswith(b"-- ") else None
        if kind is not None:
            if self.phase == PRE and kind == DATA_TYPE:
                self.phase = DATA
            if self.phase != PRE:
                self.entry = DATA if kind == DATA_TYPE else INDEX if kind in INDEX_TYPES else REST
                self.new_job = self.entry in (DATA, INDEX)
        elif line.startswith(_RESTRICT) and not self.restrict:
            self.restrict = line if line.endswith(b"\n") else line + b"\n"
        elif line.startswith(_UNRESTRICT):
            return PRE if self.phase == PRE else REST  # the script's last line: never a job's
        elif line.startswith(_CONNECT):
            self.settings.clear()
        elif (name := setting(line)) is not None:
            # a setting line belongs to the session, not to the entry it sits in: kept for the jobs,
            # and run in order where the script has it (REST, PRE)
            self.settings[name] = line if line.endswith(b"\n") else line + b"\n"
            return PRE if self.phase == PRE else REST
        return self.entry if self.phase != PRE else PRE

    def prefix(self) -> bytes:
        """What a job run on a connection of its own starts with: the `\\restrict` line and the
        session's settings in effect."""
        return self.restrict + self.settings_lines()

    def settings_lines(self) -> bytes:
        """The session's settings in effect, a line each."""
        return b"".join(self.settings.values())

    def suffix(self) -> bytes:
        """What such a job ends with: `\\unrestrict`, when it began with `\\restrict`."""
        if not self.restrict:
            return b""
        return b"\\unrestrict " + self.restrict[len(_RESTRICT) :]


END_OF_COPY = b"\\.\n"


class Reader(LineReader):
    """A script's bytes as `pull` gives them (b"" at its end): statement lines one at a time
    (`readline`), a COPY block's rows in large pieces of whole lines (`copy_rows`: in COPY's text
    format a row is one line, a newline in a value is written `\\n`, and only the end is `\\.`)."""

    def copy_rows(self) -> Iterator[bytes]:
        """The rows of the COPY block whose COPY line was just read, in pieces of whole lines, up to
        its `\\.` line (read, not given); ValueError when the script ends before it."""
        while True:
            if self._buffer.startswith(END_OF_COPY, self._at):
                self._at += len(END_OF_COPY)
                return
            end = self._buffer.find(b"\n" + END_OF_COPY, self._at)
            last = end if end >= 0 else self._buffer.rfind(b"\n", self._at)
            if last >= self._at:
                rows, self._at = self._buffer[self._at : last + 1], last + 1
                yield rows
                if end >= 0:
                    continue
            if not self._fill():
                raise ValueError("the dump ends inside the rows of a table (no line \\.)")
