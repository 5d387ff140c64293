"""What the engines' parallel loads share (`postgresql.restore`, `mariadb.restore`): one database's
script read once, as it is decompressed (through the restore's transform when there is one), by a
`Load` of the engine's that sends what runs first to the client that creates the database, deals the
tables' rows to long-lived client sessions (`Sessions`: a piece to whichever pipe has room), and runs
what comes after the rows as jobs (`Jobs`: a client each, `jobs` at once).

The rows go from the decompression's pipe to the sessions' pipes, a piece of up to READ_BYTES pending
for each at most: the runner's memory is bounded whatever the size of a table, and no row is written
to disk. What runs last is written into a folder of the load's own in the dump's folder until then
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
from typing import IO, NoReturn, Protocol, TypeVar

from .clients import Transform, _grow_pipe, error_line, start
from .engine import ClientCommand, DumpError, RestoreCommands
from .lines import LineReader, Pull

Script = TypeVar("Script", bound=LineReader)
ScriptIn = TypeVar("ScriptIn", bound=LineReader, contravariant=True)
READ_BYTES = 1 << 20  # the script is read, and its rows dealt, in pieces of up to this size


def read_all(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


class Jobs:
    """Clients, `jobs` at once, each fed one file or one text; the first failure kept (the reader
    stops at it), every client's warnings kept."""

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
                output = read_all(err)
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


class Sessions:
    """`jobs` client sessions on the database, each reading from its pipe what it is sent: a piece
    goes whole to a session whose pipe has room (`free`), so that the rows are never written anywhere
    but into the pipes (a piece each at most, in memory)."""

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
        self.started = [False] * jobs  # whether a session was given what each begins with
        self.pieces = 0

    def free(self, preferred: Callable[[int], bool] = lambda _session: False) -> int:
        """A session with nothing pending, a `preferred` one first (waiting for room)."""
        while True:
            free = [session for session, left in enumerate(self.pending) if not left]
            if free:
                return next((session for session in free if preferred(session)), free[0])
            self._flush(wait=True)

    def wait_for(self, session: int) -> None:
        while self.pending[session]:
            self._flush(wait=True)

    def send(self, session: int, data: bytes) -> None:
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
        error = error_line(read_all(self.errors[session]))
        self.kill()
        raise DumpError(f"{self.what}: {error}")

    def close(self, suffix: bytes = b"") -> list[str]:
        """Every session done (`suffix` ends what a started session was given); their warnings.
        DumpError when one failed."""
        for session in range(len(self.procs)):
            self.wait_for(session)
            if self.started[session] and suffix:
                self.send(session, suffix)
                self.wait_for(session)
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
        warnings = [read_all(err) for err in self.errors]
        return [text for text in warnings if text.strip()]

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for err in self.errors:
            err.close()


def pull_raw(stream: IO[bytes]) -> Pull:
    """The decompression's output as it comes, from a pipe of READ_BYTES (fewer, larger pieces)."""
    descriptor = stream.fileno()
    _grow_pipe(descriptor)
    return lambda: os.read(descriptor, READ_BYTES)


def pull_through(stream: IO[bytes], transform: Transform) -> Pull:
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


class LoadParts:
    """What both engines' loads keep: the jobs, the sessions rows are dealt to, the file of what runs
    last, the clients' warnings, when each phase ended (`times`, from `clock`)."""

    def __init__(self, work: Path, worker: ClientCommand, jobs: int, what: str) -> None:
        self.what, self.worker, self.jobs_count = what, worker, jobs
        self.jobs = Jobs(worker, jobs, what)
        self.sessions: Sessions | None = None
        self.rest_path = work / "rest.sql"
        self.rest: IO[bytes] | None = None
        self.warning_texts: list[str] = []
        self.clock = time.monotonic()
        self.times: list[float] = []

    def load_rest(self) -> None:
        """What comes after every row, in order on one client (its file written as the script was read)."""
        if self.rest is not None:
            self.rest.close()
            self.jobs.slots.acquire()
            self.jobs.submit(self.rest_path)
            self.jobs.wait()

    def close(self) -> None:
        self.jobs.close()
        if self.sessions is not None:
            self.sessions.kill()
        if self.rest is not None:
            self.rest.close()

    def warnings(self) -> list[str]:
        return [*self.warning_texts, *self.jobs.warnings]


class Load(Protocol[ScriptIn]):
    """An engine's load of one script: `read` it all (what runs first into `creator`), `finish` what
    is left; `close` stops every client it started; `warnings` the clients'."""

    creator_output: bool  # whether `creator`'s standard output is a pipe the load reads

    def read(self, reader: ScriptIn, creator: subprocess.Popen[bytes], creator_err: IO[bytes]) -> None: ...
    def finish(self) -> None: ...
    def say_times(self, into: str) -> None: ...
    def close(self) -> None: ...
    def warnings(self) -> list[str]: ...


def load_in_parallel(
    commands: RestoreCommands,
    transform: Transform | None,
    what: str,
    spool: Path,
    make_load: Callable[[Path], Load[Script]],
    make_reader: Callable[[Pull], Script],
) -> str:
    """Load the database of `commands` (`load`: the decompression and the client that creates it) with
    the `Load` made for a folder in `spool`; its clients' warnings. DumpError when any fails."""
    decompress, first = commands.load
    with (
        tempfile.TemporaryDirectory(dir=spool, prefix=".load-") as work,
        tempfile.TemporaryFile() as source_err,
        tempfile.TemporaryFile() as first_err,
    ):
        source = start(decompress, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=source_err)
        assert source.stdout is not None
        load = make_load(Path(work))
        output = subprocess.PIPE if load.creator_output else subprocess.DEVNULL
        creator = start(first, stdin=subprocess.PIPE, stdout=output, stderr=first_err)
        try:
            pull = pull_raw(source.stdout) if transform is None else pull_through(source.stdout, transform)
            reader = make_reader(pull)
            try:
                load.read(reader, creator, first_err)
                load.finish()
            except (DumpError, ValueError) as exc:
                # a damaged file: what the decompression says comes first (it has ended: its output did)
                if reader.ended and source.wait() != 0:
                    raise DumpError(
                        f"{what}: {decompress.argv[0]}: {error_line(read_all(source_err))}"
                    ) from None
                raise DumpError(str(exc) if isinstance(exc, DumpError) else f"{what}: {exc}") from None
            load.say_times(commands.into)
        finally:
            load.close()
            for proc in (creator, source):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            source.stdout.close()
            if creator.stdout is not None:
                creator.stdout.close()
        if source.returncode != 0:
            raise DumpError(f"{what}: {decompress.argv[0]}: {error_line(read_all(source_err))}")
        return "".join([read_all(first_err), *load.warnings()])
