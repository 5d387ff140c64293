"""One database's `pg_dump --create` script loaded on several connections (`postgresql.script` says
which part runs where): its schema by the psql that creates the database, alone, first; then its
tables' rows on `jobs` psql sessions at once, each piece of a COPY block as it is read going to a
session whose pipe has room (so a large table is loaded on all of them, each session's rows in one
COPY of their own); then its indexes and primary keys, `jobs` at once, a psql each; then the rest in
order on one connection.

The script is read once, as it is decompressed (through the restore's transform when there is one);
the rows go from the decompression's pipe to the sessions' pipes, a piece of up to READ_BYTES
pending for each at most: the runner's memory is bounded whatever the size of a table, and no row
is written to disk. What runs last (the rest) is written into a folder of the dump's own until then
(removed after, and with the dump's folder by the runner when the restore is killed).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, NoReturn

from ..clients import Transform, _grow_pipe, error_line, start
from ..engine import ClientCommand, DumpError, RestoreCommands
from ..manifest import say
from . import script
from .script import DATA, END_OF_COPY, INDEX, PRE, REST, Planner, Reader

READ_BYTES = 1 << 20  # the script is read, and its rows dealt, in pieces of up to this size
END = END_OF_COPY


def _read_all(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


class _Jobs:
    """psql clients, `jobs` at once, each fed one file or one text; the first failure kept (the
    reader stops at it), every client's warnings kept."""

    def __init__(self, client: ClientCommand, jobs: int, what: str) -> None:
        self.client, self.what = client, what
        self.pool = ThreadPoolExecutor(jobs)
        self.slots = threading.Semaphore(2 * jobs)  # files written and not yet loaded (the rest's)
        self.futures: list[Future[None]] = []
        self.failed = threading.Event()
        self.warnings: list[str] = []

    def _run(self, path: Path | None, text: bytes) -> None:
        try:
            if self.failed.is_set():
                return
            with tempfile.TemporaryFile() as err, contextlib.ExitStack() as files:
                stdin = files.enter_context(path.open("rb")) if path is not None else subprocess.PIPE
                proc = start(self.client, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
                proc.communicate(None if path is not None else text)
                output = _read_all(err)
                if proc.returncode != 0:
                    self.failed.set()
                    raise DumpError(f"{self.what}: {error_line(output)}")
                if output.strip():
                    self.warnings.append(output)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)
                self.slots.release()

    def submit(self, path: Path | None = None, text: bytes = b"") -> None:
        self.futures.append(self.pool.submit(self._run, path, text))

    def wait(self) -> None:
        """Every job submitted done; DumpError with the first failure."""
        futures, self.futures = self.futures, []
        errors = []
        for future in futures:
            try:
                future.result()
            except DumpError as exc:
                errors.append(str(exc))
        if errors:
            raise DumpError(errors[0])

    def close(self) -> None:
        self.failed.set()  # what is not started yet is not started
        self.pool.shutdown(wait=True)


def _pull_raw(stream: IO[bytes]) -> Callable[[], bytes]:
    """The decompression's output as it comes, from a pipe of READ_BYTES (fewer, larger pieces)."""
    descriptor = stream.fileno()
    _grow_pipe(descriptor)
    return lambda: os.read(descriptor, READ_BYTES)


def _pull_through(stream: IO[bytes], transform: Transform) -> Callable[[], bytes]:
    lines: Iterator[str] = iter(transform(line.decode("utf-8", "surrogateescape") for line in stream))

    def pull() -> bytes:
        taken, size = [], 0
        for line in lines:
            taken.append(line.encode("utf-8", "surrogateescape"))
            size += len(taken[-1])
            if size >= READ_BYTES:
                break
        return b"".join(taken)

    return pull


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
    decompress, first = commands.load
    with (
        tempfile.TemporaryDirectory(dir=spool, prefix=".load-") as work,
        tempfile.TemporaryFile() as source_err,
        tempfile.TemporaryFile() as first_err,
    ):
        source = start(decompress, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=source_err)
        assert source.stdout is not None
        creator = start(first, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=first_err)
        load = _Load(Path(work), worker, jobs, what)
        try:
            pull = _pull_raw(source.stdout) if transform is None else _pull_through(source.stdout, transform)
            reader = Reader(pull)
            try:
                load.read(reader, creator, first_err)
                load.finish()
            except (DumpError, ValueError) as exc:
                # a damaged file: what the decompression says comes first (it has ended: its output did)
                if reader.ended and source.wait() != 0:
                    raise DumpError(
                        f"{what}: {decompress.argv[0]}: {error_line(_read_all(source_err))}"
                    ) from None
                raise DumpError(str(exc) if isinstance(exc, DumpError) else f"{what}: {exc}") from None
            load.say_times(commands.into, jobs)
        finally:
            load.jobs.close()
            if load.sessions is not None:
                load.sessions.kill()
            for proc in (creator, source):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            source.stdout.close()
        if source.returncode != 0:
            raise DumpError(f"{what}: {decompress.argv[0]}: {error_line(_read_all(source_err))}")
        return "".join([_read_all(first_err), *load.warnings, *load.jobs.warnings])


class _Sessions:
    """`jobs` psql sessions on the database, each reading COPY blocks from its pipe: each piece of rows
    goes whole to a session whose pipe has room (the one already in that table's COPY first, else
    another, which begins one), so that a large table is loaded on every session at once and the
    rows are never written anywhere but into the pipes (a piece each at most, in memory)."""

    def __init__(self, client: ClientCommand, jobs: int, what: str) -> None:
        self.what = what
        self.errors = [tempfile.TemporaryFile() for _ in range(jobs)]  # noqa: SIM115 - closed by close, kill
        self.procs = [
            start(client, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err) for err in self.errors
        ]
        self.pipes = []
        for proc in self.procs:
            assert proc.stdin is not None
            descriptor = proc.stdin.fileno()
            _grow_pipe(descriptor)
            os.set_blocking(descriptor, False)
            self.pipes.append(descriptor)
        self.pending = [memoryview(b"") for _ in range(jobs)]
        self.copying: list[bytes | None] = [None] * jobs  # the COPY line each session is in
        self.started = [False] * jobs  # whether a session was given the script's `\restrict` line
        self.pieces = 0

    def copy(self, planner: Planner, copy_line: bytes, pieces: Iterator[bytes]) -> None:
        """The rows of one COPY block (`copy_line`, `pieces`), with the settings `planner` has."""
        for rows in pieces:
            session = self._free(copy_line)
            head = b""
            if self.copying[session] != copy_line:
                head = END if self.copying[session] is not None else b""
                head += planner.settings_lines() if self.started[session] else planner.prefix()
                head += copy_line
                self.started[session] = True
                self.copying[session] = copy_line
            self.pieces += 1
            self._send(session, head + rows if head else rows)
        for session, line in enumerate(self.copying):
            if line == copy_line:
                self._wait_for(session)
                self._send(session, END)
                self.copying[session] = None

    def _free(self, copy_line: bytes) -> int:
        """A session with nothing pending: the one in `copy_line`'s COPY first (waiting for room)."""
        while True:
            free = [session for session, left in enumerate(self.pending) if not left]
            if free:
                return next((session for session in free if self.copying[session] == copy_line), free[0])
            self._flush(wait=True)

    def _wait_for(self, session: int) -> None:
        while self.pending[session]:
            self._flush(wait=True)

    def _send(self, session: int, data: bytes) -> None:
        self.pending[session] = memoryview(data)
        self._flush(wait=False)

    def _flush(self, wait: bool) -> None:
        """Write what is pending where the pipes take it (after waiting for one to, with `wait`)."""
        waiting = [self.pipes[session] for session, left in enumerate(self.pending) if left]
        if wait and waiting:
            select.select([], waiting, [])
        for session, left in enumerate(self.pending):
            while left:
                try:
                    written = os.write(self.pipes[session], left)
                except BlockingIOError:
                    break
                except BrokenPipeError:
                    self._failed(session)
                left = left[written:]
            self.pending[session] = left

    def _failed(self, session: int) -> NoReturn:
        """A session stopped at an error: the others killed, DumpError with its error."""
        self.procs[session].wait()
        error = error_line(_read_all(self.errors[session]))
        self.kill()
        raise DumpError(f"{self.what}: {error}")

    def close(self, suffix: bytes) -> list[str]:
        """Every COPY ended and every session done (`suffix` ends what a session was given: its
        `\\unrestrict`); their warnings. DumpError when one failed."""
        for session in range(len(self.procs)):
            self._wait_for(session)
            if self.started[session] and suffix:
                self._send(session, suffix)
                self._wait_for(session)
        for session, proc in enumerate(self.procs):
            assert proc.stdin is not None
            os.set_blocking(self.pipes[session], True)
            try:
                proc.stdin.close()
            except BrokenPipeError:
                self._failed(session)
        for session, proc in enumerate(self.procs):
            if proc.wait() != 0:
                self._failed(session)
        warnings = [_read_all(err) for err in self.errors]
        return [text for text in warnings if text.strip()]

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for err in self.errors:
            err.close()


class _Load:
    def __init__(self, work: Path, worker: ClientCommand, jobs: int, what: str) -> None:
        self.work, self.what = work, what
        self.jobs = _Jobs(worker, jobs, what)
        self.worker, self.jobs_count = worker, jobs
        self.sessions: _Sessions | None = None
        self.warnings: list[str] = []
        self.planner = Planner()
        self.rest_path = work / "rest.sql"
        self.rest: IO[bytes] | None = None
        self.indexes: list[bytes] = []
        self.pieces = 0
        self.clock = time.monotonic()
        self.times: list[float] = []  # when the schema, the rows, the indexes, the rest were in

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
            raise DumpError(f"{self.what}: {error_line(_read_all(creator_err))}")
        self.times.append(time.monotonic())

    def _copy(self, copy_line: bytes, reader: Reader) -> None:
        """The rows of one COPY block, dealt to the sessions whose pipes have room, piece by piece."""
        if self.sessions is None:
            self.sessions = _Sessions(self.worker, self.jobs_count, self.what)
        self.sessions.copy(self.planner, copy_line, reader.copy_rows())

    def finish(self) -> None:
        """The rows all in, then the indexes at once, then the rest in order."""
        if self.sessions is not None:
            self.warnings += self.sessions.close(self.planner.suffix())
            self.pieces = self.sessions.pieces
        if self.rest is None:
            return  # no table data: the creator loaded it all
        self.times.append(time.monotonic())
        for text in self.indexes:
            self.jobs.submit(text=text + self.planner.suffix())
        self.jobs.wait()
        self.times.append(time.monotonic())
        self.rest.close()
        self.jobs.slots.acquire()
        self.jobs.submit(self.rest_path)
        self.jobs.wait()
        self.times.append(time.monotonic())

    def say_times(self, into: str, jobs: int) -> None:
        """Where the load's time went, on a line of its own."""
        if len(self.times) != 4:
            return
        starts = [self.clock, *self.times[:-1]]
        schema, rows, indexes, rest = (end - start for start, end in zip(starts, self.times, strict=True))
        say(
            f"loaded database {into} on {jobs} connections: the schema in {schema:.1f} s, the rows in "
            f"{rows:.1f} s ({self.pieces} pieces), {len(self.indexes)} indexes and keys in {indexes:.1f} s, "
            f"the rest in {rest:.1f} s"
        )
