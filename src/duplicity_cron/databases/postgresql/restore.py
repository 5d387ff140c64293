"""One database's `pg_dump --create` script loaded on several connections (`postgresql.script` says
which part runs where): its schema by the psql that creates the database, alone, first; then its
tables' rows, each table's COPY block cut into pieces of about PIECE_BYTES, each piece a COPY of its
own in a psql of its own, `jobs` at once; then its indexes and primary keys, `jobs` at once; then the
rest in order on one connection.

The script is read once, as it is decompressed (through the restore's transform when there is one):
the pieces are written into a folder of the dump's own (removed after, and with the dump's folder by
the runner when the restore is killed), at most twice `jobs` of them at a time, each removed once it
is loaded: the disk it takes and the runner's memory are bounded, whatever the size of the table.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

from ..clients import Transform, error_line, start
from ..engine import ClientCommand, DumpError, RestoreCommands
from . import script
from .script import DATA, INDEX, PRE, REST, Planner, Reader

PIECE_BYTES = 32 << 20  # a table's rows are cut into COPYs of about this size
READ_BYTES = 1 << 20


def _read_all(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


class _Jobs:
    """psql clients, `jobs` at once, each fed one file or one text; the first failure kept (the
    reader stops at it), every client's warnings kept."""

    def __init__(self, client: ClientCommand, jobs: int, what: str) -> None:
        self.client, self.what = client, what
        self.pool = ThreadPoolExecutor(jobs)
        self.slots = threading.Semaphore(2 * jobs)  # pieces written and not yet loaded
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
    descriptor = stream.fileno()
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
    piece_bytes: int = PIECE_BYTES,
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
        load = _Load(Path(work), worker, jobs, what, piece_bytes)
        try:
            pull = _pull_raw(source.stdout) if transform is None else _pull_through(source.stdout, transform)
            try:
                load.read(Reader(pull), creator, first_err)
            except ValueError as exc:
                raise DumpError(f"{what}: {exc}") from None
            load.finish()
        finally:
            load.jobs.close()
            for proc in (creator, source):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            source.stdout.close()
        if source.returncode != 0:
            raise DumpError(f"{what}: {decompress.argv[0]}: {error_line(_read_all(source_err))}")
        return "".join([_read_all(first_err), *load.jobs.warnings])


class _Load:
    def __init__(self, work: Path, worker: ClientCommand, jobs: int, what: str, piece_bytes: int) -> None:
        self.work, self.what, self.piece_bytes = work, what, piece_bytes
        self.jobs = _Jobs(worker, jobs, what)
        self.worker = worker
        self.planner = Planner()
        self.rest_path = work / "rest.sql"
        self.rest: IO[bytes] | None = None
        self.indexes: list[bytes] = []
        self.pieces = 0

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
            if self.jobs.failed.is_set():
                break
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

    def _copy(self, copy_line: bytes, reader: Reader) -> None:
        """The rows of one COPY block, in pieces of `piece_bytes`, each loaded as soon as it is written."""
        head = self.planner.prefix() + copy_line
        tail = script.END_OF_COPY + self.planner.suffix()
        piece: IO[bytes] | None = None
        path, size = self.work, 0
        for rows in reader.copy_rows():
            if piece is None:
                self.jobs.slots.acquire()
                if self.jobs.failed.is_set():
                    self.jobs.slots.release()
                    return  # `finish` raises the failed job's error
                self.pieces += 1
                path = self.work / f"piece-{self.pieces}.sql"
                piece, size = path.open("wb"), 0
                piece.write(head)
            piece.write(rows)
            size += len(rows)
            if size >= self.piece_bytes:
                piece.write(tail)
                piece.close()
                self.jobs.submit(path)
                piece = None
        if piece is not None:
            piece.write(tail)
            piece.close()
            self.jobs.submit(path)

    def finish(self) -> None:
        """The rows all in, then the indexes at once, then the rest in order."""
        self.jobs.wait()
        if self.rest is None:
            return  # no table data: the creator loaded it all
        for text in self.indexes:
            self.jobs.submit(text=text + self.planner.suffix())
        self.jobs.wait()
        self.rest.close()
        self.jobs.slots.acquire()
        self.jobs.submit(self.rest_path)
        self.jobs.wait()
