"""One database's `pg_dump --create` script loaded on several connections (`postgresql.script` says
which part runs where): its schema by the psql that creates the database, alone, first; then its
tables' rows on `jobs` psql sessions at once, each piece of a COPY block as it is read going to a
session whose pipe has room (so a large table is loaded on all of them, each session's rows in one
COPY of their own); then its indexes and primary keys, `jobs` at once, a psql each; then the rest in
order on one connection.

The script is read once (`databases.parallel`, which the engines share: the rows go from the
decompression's pipe to the sessions' pipes, a piece of up to READ_BYTES pending for each at most).
What runs last (the rest) is written into a folder of the dump's own until then (removed after, and
with the dump's folder by the runner when the restore is killed).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..clients import Transform, error_line
from ..engine import ClientCommand, DumpError, RestoreCommands
from ..manifest import say
from ..parallel import LoadParts, Sessions, read_all
from ..parallel import load_in_parallel as load_script
from . import script
from .script import DATA, END_OF_COPY, INDEX, PRE, REST, Planner, Reader

END = END_OF_COPY


def load_in_parallel(
    commands: RestoreCommands,
    worker: ClientCommand,
    transform: Transform | None,
    what: str,
    jobs: int,
    spool: Path,
) -> str:
    """Load the database of `commands` (`load`: the decompression and the psql that creates it) with
    `worker` (psql on the database) `jobs` at once; its clients' warnings. DumpError when any fails."""
    return load_script(commands, transform, what, spool, lambda work: _Load(work, worker, jobs, what), Reader)


class _Sessions(Sessions):
    """`jobs` psql sessions on the database, each reading COPY blocks from its pipe: each piece of rows
    goes whole to a session whose pipe has room (the one already in that table's COPY first, else
    another, which begins one), so that a large table is loaded on every session at once."""

    def __init__(self, client: ClientCommand, jobs: int, what: str) -> None:
        super().__init__(client, jobs, what)
        self.copying: list[bytes | None] = [None] * jobs  # the COPY line each session is in

    def copy(self, planner: Planner, copy_line: bytes, pieces: Iterator[bytes]) -> None:
        """The rows of one COPY block (`copy_line`, `pieces`), with the settings `planner` has."""
        for rows in pieces:
            session = self.free(lambda session: self.copying[session] == copy_line)
            head = b""
            if self.copying[session] != copy_line:
                head = END if self.copying[session] is not None else b""
                head += planner.settings_lines() if self.started[session] else planner.prefix()
                head += copy_line
                self.started[session] = True
                self.copying[session] = copy_line
            self.pieces += 1
            self.send(session, head + rows if head else rows)
        for session, line in enumerate(self.copying):
            if line == copy_line:
                self.wait_for(session)
                self.send(session, END)
                self.copying[session] = None


class _Load(LoadParts):
    creator_output = False

    def __init__(self, work: Path, worker: ClientCommand, jobs: int, what: str) -> None:
        super().__init__(work, worker, jobs, what)
        self.sessions: _Sessions | None = None
        self.planner = Planner()
        self.indexes: list[bytes] = []
        self.pieces = 0
        # self.times: when the schema, the rows, the indexes, the rest were in

    def read(self, reader: Reader, creator: subprocess.Popen[bytes], creator_err: IO[bytes]) -> None:
        planner, index = self.planner, bytearray()
        assert creator.stdin is not None
        while line := reader.readline():
            where = planner.route(line)
            if where == PRE:
                try:
                    creator.stdin.write(line)
                except BrokenPipeError:
                    break  # psql stopped at an error: it says which
                continue
            if self.rest is None:  # the schema is all written: it must be in before any row
                self._end_creator(creator, creator_err)
                self.rest = self.rest_path.open("wb")
                self.rest.write(planner.prefix())
            if index and (where != INDEX or planner.new_job):
                self.indexes.append(bytes(index))
                index.clear()
            if where == INDEX:
                if planner.new_job:
                    index += planner.prefix()
                if index:
                    index += line
                else:  # after a setting or `\unrestrict` ended the entry: in order, with the rest
                    self.rest.write(line)
            elif where == DATA:
                if script.is_copy(line):
                    self._copy(line, reader)
                elif line.strip() and not line.startswith(b"--"):
                    self.rest.write(line)
            else:
                assert where == REST
                self.rest.write(line)
        if index:
            self.indexes.append(bytes(index))
        if self.rest is None:
            self._end_creator(creator, creator_err)

    def _end_creator(self, creator: subprocess.Popen[bytes], creator_err: IO[bytes]) -> None:
        assert creator.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            creator.stdin.close()
        if creator.wait() != 0:
            raise DumpError(f"{self.what}: {error_line(read_all(creator_err))}")
        self.times.append(time.monotonic())

    def _copy(self, copy_line: bytes, reader: Reader) -> None:
        """The rows of one COPY block, dealt to the sessions whose pipes have room, piece by piece."""
        if self.sessions is None:
            self.sessions = _Sessions(self.worker, self.jobs_count, self.what)
        self.sessions.copy(self.planner, copy_line, reader.copy_rows())

    def finish(self) -> None:
        """The rows all in, then the indexes at once, then the rest in order."""
        if self.sessions is not None:
            self.warning_texts += self.sessions.close(self.planner.suffix())
            self.pieces = self.sessions.pieces
        if self.rest is None:
            return  # no table data: the creator loaded it all
        self.times.append(time.monotonic())
        for text in self.indexes:
            self.jobs.submit(text=text + self.planner.suffix())
        self.jobs.wait()
        self.times.append(time.monotonic())
        self.load_rest()
        self.times.append(time.monotonic())

    def say_times(self, into: str) -> None:
        """Where the load's time went, on a line of its own."""
        if len(self.times) != 4:
            return
        starts = [self.clock, *self.times[:-1]]
        schema, rows, indexes, rest = (end - start for start, end in zip(starts, self.times, strict=True))
        say(
            f"loaded database {into} on {self.jobs_count} connections: the schema in {schema:.1f} s, "
            f"the rows in {rows:.1f} s ({self.pieces} pieces), {len(self.indexes)} indexes and keys in "
            f"{indexes:.1f} s, the rest in {rest:.1f} s"
        )
