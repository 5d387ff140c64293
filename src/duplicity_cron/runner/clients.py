"""Running database clients for the built-in dump: one command to its output, or two piped into a file,
each failure turned into a one-line `DumpError` that names what failed and quotes the client.

The clients get the process environment (the user's PG*, MYSQL_* variables) plus the command's own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TypeVar

from ..sources.common import ClientCommand

Item = TypeVar("Item")
R = TypeVar("R")
MAX_MESSAGE = 600  # characters of a client's error quoted in the one-line error
# A dump that passes through this process (`pipe_to_file`'s tap) is read in pieces of up to COPY_PIECE
# from pipes of that size. The clients write 4 KB at a time: read as it comes, each write woke this
# process and each of its writes woke zstd (measured at 1 GB: 10-20 KB a read, the copy 3 CPU-s,
# pg_dump 2.2). Waiting BATCH_WAIT after a short read lets the pipe fill: ~0.9 MB a read.
COPY_PIECE = 1 << 20
BATCH_WAIT = 0.005  # seconds; a client writing 200 MB/s fills COPY_PIECE in about that time
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux; Python 3.10+ names it


class DumpError(Exception):
    """A dump that cannot be made; the message is one line, for the run's log."""


def each_at_once(items: Iterable[Item], work: Callable[[Item], R], jobs: int) -> list[R]:
    """`work` of every item, `jobs` at a time, the results in the items' order; one DumpError joining
    every item's failure (a database that fails does not hide another's)."""
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(work, item) for item in items]
        errors, results = [], []
        for future in futures:
            try:
                results.append(future.result())
            except DumpError as exc:
                errors.append(str(exc))
    if errors:
        raise DumpError("; ".join(errors))
    return results


def error_line(stderr: str) -> str:
    """A client's error output as one line: its non-empty lines joined, the `NOTICE`s left out."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("NOTICE:", "DETAIL:  "))] or lines
    text = "; ".join(lines) or "no error message"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " [...]"


def _env(command: ClientCommand) -> dict[str, str]:
    return {**os.environ, **command.env}


def _start(command: ClientCommand, **kwargs: object) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(command.argv, env=_env(command), **kwargs)  # type: ignore[call-overload,no-any-return]
    except FileNotFoundError as exc:
        raise DumpError(f"{command.argv[0]} is not installed (not found in PATH)") from exc


def run_client(command: ClientCommand, what: str, stdin: str | None = None) -> str:
    """The client's standard output; DumpError naming `what` when it fails."""
    proc = _start(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(None if stdin is None else stdin.encode())
    if proc.returncode != 0:
        raise DumpError(f"{what}: {error_line(err.decode(errors='replace'))}")
    return out.decode(errors="replace")


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


# Shown each piece of a dump on its way to the compressor: (buffer, bytes of it that are the piece).
Tap = Callable[[bytearray, int], None]


def pipe_to_file(commands: Sequence[ClientCommand], path: Path, what: str, tap: Tap | None = None) -> int:
    """Run `commands[0] | commands[1] > path` and return the file's size; DumpError when either fails
    (the dump's error first: a compressor that stops because its input stopped says less).

    With `tap`, the bytes pass through this process on their way (`tap` sees each piece: it counts the
    rows of the dump, `sources.dump_rows`); without, the two processes are piped directly."""
    dump, compress = commands
    with path.open("wb") as out, tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as comp_err:
        first = _start(dump, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=dump_err)
        try:
            assert first.stdout is not None
            middle = subprocess.PIPE if tap is not None else first.stdout
            second = _start(compress, stdin=middle, stdout=out, stderr=comp_err)
            if tap is not None:
                _copy(first.stdout, second, tap)
        except DumpError:
            first.kill()
            first.wait()
            raise
        finally:
            if first.stdout is not None:
                first.stdout.close()
        second.wait()
        if second.returncode != 0 and first.poll() is None:
            first.terminate()  # nothing reads its output any more
        first.wait()
        if first.returncode != 0 and not (second.returncode != 0 and first.returncode < 0):
            raise DumpError(f"{what}: {error_line(_read(dump_err))}")
        if second.returncode != 0:
            raise DumpError(f"{what}: {compress.argv[0]}: {error_line(_read(comp_err))}")
    return path.stat().st_size


# A stream rewritten on its way from one client to the next: lines in, lines out (see sources.sql_filters).
Transform = Callable[[Iterable[str]], Iterator[str]]


def _pump(source: IO[bytes], sink: IO[bytes], transform: Transform) -> None:
    """`source`'s lines through `transform` into `sink` (bytes kept as they are: surrogateescape)."""
    lines = (line.decode("utf-8", "surrogateescape") for line in source)
    try:
        for line in transform(lines):
            sink.write(line.encode("utf-8", "surrogateescape"))
        sink.close()
    except BrokenPipeError:
        pass  # the client stopped reading: its error says why


def run_pipeline(commands: Sequence[ClientCommand], what: str, transform: Transform | None = None) -> str:
    """Run `commands[0] | commands[1]` (through `transform` in this process, when given) and return
    the second's error output (its warnings); DumpError when either fails (the client's error first)."""
    source, client = commands
    with tempfile.TemporaryFile() as source_err, tempfile.TemporaryFile() as client_err:
        first = _start(source, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=source_err)
        assert first.stdout is not None
        try:
            stdin = first.stdout if transform is None else subprocess.PIPE
            second = _start(client, stdin=stdin, stdout=subprocess.DEVNULL, stderr=client_err)
            if transform is not None:
                assert second.stdin is not None
                _pump(first.stdout, second.stdin, transform)
        except DumpError:
            first.kill()
            first.wait()
            raise
        finally:
            first.stdout.close()
        second.wait()
        if second.returncode != 0 and first.poll() is None:
            first.terminate()  # nothing reads its output any more
        first.wait()
        if second.returncode != 0:
            raise DumpError(f"{what}: {error_line(_read(client_err))}")
        if first.returncode != 0:
            raise DumpError(f"{what}: {source.argv[0]}: {error_line(_read(source_err))}")
        return _read(client_err)


def _grow_pipe(descriptor: int) -> None:
    """The pipe's buffer at COPY_PIECE when the system allows it (a user's pipe pages are limited:
    then it stays as it is, only slower)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(descriptor, F_SETPIPE_SZ, COPY_PIECE)


def _copy(source: IO[bytes], sink: subprocess.Popen[bytes], tap: Tap) -> None:
    """Everything of `source` into the stdin of `sink` (then closed), each piece shown to `tap` first
    (one buffer, reused); stops early when `sink` stopped reading (its exit status then says why)."""
    assert sink.stdin is not None
    reader, writer = source.fileno(), sink.stdin.fileno()
    _grow_pipe(reader)
    _grow_pipe(writer)
    buffer = bytearray(COPY_PIECE)
    view = memoryview(buffer)
    with contextlib.suppress(BrokenPipeError):
        try:
            while size := os.readv(reader, [buffer]):
                tap(buffer, size)
                rest = view[:size]
                while rest:
                    rest = rest[os.write(writer, rest) :]
                if size < COPY_PIECE // 2:
                    time.sleep(BATCH_WAIT)
        finally:
            sink.stdin.close()
