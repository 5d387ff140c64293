"""One database's `mariadb-dump --databases` script loaded on several connections (`mariadb.script`
says which part runs where): its tables' structure, in order, by the client that creates the
database, beside its tables' rows, whose INSERT statements go whole to `jobs` client sessions at
once (a statement to a session whose pipe has room: a large table is loaded on all of them), each
table's rows once the creating client has run its CREATE TABLE; then the keys MyISAM and Aria tables
defer (ENABLE KEYS), `jobs` at once; then the rest in order on one connection: the triggers, events,
routines and views.

The script is read once (`databases.parallel`, which the engines share: the rows go from the
decompression's pipe to the sessions' pipes, a piece of up to READ_BYTES pending for each at most).
What runs last is written into a folder of the dump's own until then.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
from pathlib import Path
from typing import IO

from ..clients import Transform, error_line
from ..engine import ClientCommand, DumpError, RestoreCommands
from ..manifest import say
from ..parallel import LoadParts, Sessions, read_all
from ..parallel import load_in_parallel as load_script
from .script import KEYS, PRE, REST, ROWS, SKIP, Planner, Reader, is_keys


def load_in_parallel(
    commands: RestoreCommands,
    worker: ClientCommand,
    transform: Transform | None,
    what: str,
    jobs: int,
    spool: Path,
) -> str:
    """Load the database of `commands` (`load`: the decompression and the client that creates it) with
    `worker` (a `mariadb` client) `jobs` at once; its clients' warnings. DumpError when any fails."""
    return load_script(commands, transform, what, spool, lambda work: _Load(work, worker, jobs, what), Reader)


class _Load(LoadParts):
    creator_output = True  # it says when it has run a table's CREATE TABLE (`_sync`)

    def __init__(self, work: Path, worker: ClientCommand, jobs: int, what: str) -> None:
        super().__init__(work, worker, jobs, what)
        self.planner = Planner()
        self.keys: list[bytes] = []
        self.tables = 0
        self.last = -1  # the session the last piece went to
        self.used: set[int] = set()  # the sessions given rows
        self.token = secrets.token_hex(8)
        # self.times: when the tables and their rows, the keys, the rest were in

    def read(self, reader: Reader, creator: subprocess.Popen[bytes], creator_err: IO[bytes]) -> None:
        planner = self.planner
        assert creator.stdin is not None
        try:
            while line := reader.readline():
                where = planner.route(line)
                if where == PRE:
                    creator.stdin.write(line)
                elif where == ROWS:
                    self._rows(reader, creator)
                elif where == KEYS:
                    self.keys.append(line)
                elif where == REST:
                    if self.rest is None:
                        self.rest = self.rest_path.open("wb")
                        self.rest.write(planner.prefix())
                    self.rest.write(line)
                else:
                    assert where == SKIP
        except BrokenPipeError:
            pass  # the client stopped at an error: it says which
        self._end_creator(creator, creator_err)

    def _rows(self, reader: Reader, creator: subprocess.Popen[bytes]) -> None:
        """One table's rows dealt to the sessions, once the creator has its CREATE TABLE run."""
        assert creator.stdin is not None and creator.stdout is not None
        if is_keys(reader.peek()):  # its DISABLE KEYS: run first for MyISAM, Aria; nothing for InnoDB
            line = reader.readline()
            if self.planner.route(line) == PRE:
                creator.stdin.write(line)
        self.tables += 1
        marker = f"{self.token} {self.tables}"
        creator.stdin.write(f"SELECT '{marker}';\n".encode())
        creator.stdin.flush()
        while (said := creator.stdout.readline()) != f"{marker}\n".encode():
            if not said:
                raise BrokenPipeError  # it stopped at an error before: it says which
        if self.sessions is None:
            self.sessions = Sessions(self.worker, self.jobs_count, self.what)
        sessions, prefix = self.sessions, self.planner.prefix()
        for statements in reader.insert_pieces():
            # the next session in turn when its pipe has room: a large table's rows on all of them
            session = sessions.free(lambda session: session == (self.last + 1) % self.jobs_count)
            self.last = session
            self.used.add(session)
            head = b"" if sessions.started[session] else prefix
            sessions.started[session] = True
            sessions.pieces += 1
            sessions.send(session, head + statements if head else statements)

    def _end_creator(self, creator: subprocess.Popen[bytes], creator_err: IO[bytes]) -> None:
        assert creator.stdin is not None and creator.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            creator.stdin.close()
        creator.stdout.read()
        if creator.wait() != 0:
            raise DumpError(f"{self.what}: {error_line(read_all(creator_err))}")

    def finish(self) -> None:
        """The rows all in, then the deferred keys at once, then the rest in order."""
        if self.sessions is not None:
            self.warning_texts += self.sessions.close()
        self.times.append(time.monotonic())
        groups = [self.keys[start :: self.jobs_count] for start in range(self.jobs_count)]
        for group in filter(None, groups):
            self.jobs.submit(text=self.planner.prefix() + b"".join(group))
        self.jobs.wait()
        self.times.append(time.monotonic())
        self.load_rest()
        self.times.append(time.monotonic())

    def say_times(self, into: str) -> None:
        """Where the load's time went, on a line of its own."""
        if len(self.times) != 3 or self.sessions is None:
            return
        starts = [self.clock, *self.times[:-1]]
        rows, keys, rest = (end - start for start, end in zip(starts, self.times, strict=True))
        pieces = f"{self.sessions.pieces} pieces on {len(self.used)} sessions"
        say(
            f"loaded database {into} on {self.jobs_count} connections: {self.tables} tables and their "
            f"rows in {rows:.1f} s ({pieces}), {len(self.keys)} tables' deferred keys in {keys:.1f} s, "
            f"the rest (triggers, routines, events, views) in {rest:.1f} s"
        )
