"""Running database clients for the built-in dump and restore: one command to its output, a dump into its
compressed file, two piped into each other (the restore's loads), each failure turned into a one-line
`DumpError` that names what failed and quotes the client.

The clients get the process environment (the user's PG*, MYSQL_* variables) plus the command's own.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TypeVar

from .compress import DumpWriter
from .engine import ClientCommand, DumpError, Transform
from .rows.dump_rows import SectionRowCounter

Item = TypeVar("Item")
R = TypeVar("R")
MAX_MESSAGE = 600  # characters of a client's error quoted in the one-line error
ECHO_LINE = "-" * 14  # what `mariadb` writes around a statement it echoes with its error
# A dump (`dump_to_file`) is read in pieces of up to COPY_PIECE from a pipe of that size. The clients
# write 4 KB at a time: read as it comes, each write woke this process (measured at 1 GB: 10-20 KB a
# read, the copy 3 CPU-s, pg_dump 2.2). Waiting BATCH_WAIT after a short read lets the pipe fill:
# ~0.9 MB a read.
COPY_PIECE = 1 << 20
BATCH_WAIT = 0.005  # seconds; a client writing 200 MB/s fills COPY_PIECE in about that time
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux; Python 3.10+ names it
# Debian's /usr/bin/psql, pg_dump, pg_dumpall... are one Perl script that picks a version and runs it
# (with PGSYSCONFDIR, where libpq finds pg_service.conf, at Debian's place unless it is set).
PG_WRAPPER = "pg_wrapper"
PG_VERSIONS = Path("/usr/lib/postgresql")  # where it finds them: <major>/bin/<name>
PG_SYSCONFDIR = {"PGSYSCONFDIR": "/etc/postgresql-common"}


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
    if ECHO_LINE in lines:  # the `mariadb` client's copy of the failing statement, before its ERROR line
        echoed = [index for index, line in enumerate(lines) if line == ECHO_LINE]
        pairs = zip(echoed[::2], echoed[1::2], strict=False)  # an odd one out: the rest of the output
        inside = {index for start, end in pairs for index in range(start, end + 1)}
        lines = [line for index, line in enumerate(lines) if index not in inside] or lines
    text = "; ".join(lines) or "no error message"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " [...]"


def _env(command: ClientCommand) -> dict[str, str]:
    return {**os.environ, **command.env}


@functools.cache
def executable(name: str, versions: Path = PG_VERSIONS) -> str:
    """The program `name` as PATH finds it, but for Debian's PostgreSQL clients the newest installed
    version's own binary: what pg_wrapper runs for a server given by host (or may not, when this host
    has a cluster of an older version), at 60-120 ms less a call (measured; a dump makes 6 or more)."""
    found = shutil.which(name)
    if found is None or os.path.basename(os.path.realpath(found)) != PG_WRAPPER:
        return name
    with contextlib.suppress(OSError):
        majors = [
            int(d.name) for d in versions.iterdir() if d.name.isdigit() and (d / "bin" / name).is_file()
        ]
        if majors:
            return str(versions / str(max(majors)) / "bin" / name)
    return name


def start(command: ClientCommand, *, buffered: bool = False, **kwargs: object) -> subprocess.Popen[bytes]:
    """The client running; with `buffered`, its standard output written COPY_PIECE at a time (coreutils'
    stdbuf, when there is one: pg_dump and mariadb-dump write 4 KB at a time, 150,000 writes for 600 MB,
    measured: with it their system CPU halved, 2.2 -> 0.9 s for mariadb-dump into a pipe)."""
    argv = [executable(command.argv[0]), *command.argv[1:]]
    env = _env(command) if argv[0] == command.argv[0] else {**PG_SYSCONFDIR, **_env(command)}
    stdbuf = shutil.which("stdbuf") if buffered else None
    if stdbuf and shutil.which(argv[0]):  # a missing client stays FileNotFoundError (not stdbuf's 127)
        argv = [stdbuf, f"--output={COPY_PIECE}", *argv]
    try:
        return subprocess.Popen(argv, env=env, **kwargs)  # type: ignore[call-overload,no-any-return]
    except FileNotFoundError as exc:
        raise DumpError(f"{command.argv[0]} is not installed (not found in PATH)") from exc


def run_client(command: ClientCommand, what: str, stdin: str | None = None) -> str:
    """The client's standard output; DumpError naming `what` when it fails."""
    proc = start(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(None if stdin is None else stdin.encode())
    if proc.returncode != 0:
        raise DumpError(f"{what}: {error_line(err.decode(errors='replace'))}")
    return out.decode(errors="replace")


def client_version(command: ClientCommand) -> str:
    """A client's `--version` line (`command`: the client and `--version`)."""
    return run_client(command, f"{command.argv[0]} --version").strip()


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


# Shown each piece of a dump as it comes: (buffer, bytes of it that are the piece).
Tap = Callable[[bytearray, int], None]


def dump_to_file(
    dump: ClientCommand,
    path: Path,
    what: str,
    counter: SectionRowCounter,
    head: bytes = b"",
    tail: bytes = b"",
) -> int:
    """Run `dump` into `path` (after `head`, before `tail`), its rows counted by `counter` and
    compressed on the way (`databases.compress`), and return the file's size; DumpError naming `what`
    when the client fails or the file cannot be written (a full disk)."""
    with path.open("wb") as out, tempfile.TemporaryFile() as dump_err:
        proc = start(dump, buffered=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=dump_err)
        assert proc.stdout is not None
        try:
            writer = DumpWriter(out, counter)
            writer.add(head)
            _drain(proc.stdout, writer)
            writer.add(tail)
            writer.close()
            out.flush()
        except OSError as exc:
            proc.kill()
            proc.wait()
            raise DumpError(f"{what}: cannot write {path.name}: {exc.strerror or exc}") from None
        finally:
            proc.stdout.close()
        if proc.wait() != 0:
            raise DumpError(f"{what}: {error_line(_read(dump_err))}")
    return path.stat().st_size


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
        first = start(source, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=source_err)
        assert first.stdout is not None
        try:
            stdin = first.stdout if transform is None else subprocess.PIPE
            second = start(client, stdin=stdin, stdout=subprocess.DEVNULL, stderr=client_err)
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


def _drain(source: IO[bytes], tap: Tap) -> None:
    """Everything of `source` shown to `tap` piece by piece, in one buffer, reused."""
    reader = source.fileno()
    _grow_pipe(reader)
    buffer = bytearray(COPY_PIECE)
    while size := os.readv(reader, [buffer]):
        tap(buffer, size)
        if size < COPY_PIECE // 2:
            time.sleep(BATCH_WAIT)


__all__ = [
    "DumpError", "Transform", "client_version", "dump_to_file", "each_at_once", "error_line", "run_client",
    "run_pipeline", "start",
]  # fmt: skip
