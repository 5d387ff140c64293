"""The built-in dump of SQLite files: each file the URL names (a path, or a glob's matches) copied with
SQLite's online backup API (`sqlite3.Connection.backup`) while its application keeps writing, the copy
checked (`PRAGMA integrity_check`) and its tables' rows counted, then compressed into `$SRC` (zstd, one
frame per MiB: a part of the file that did not change keeps its compressed bytes).

How the writer is never stalled: the copy goes STEP_PAGES pages at a time, and SQLite takes its lock for
each step only.

- A WAL database: the copy's connection opens one read transaction first, and every step reads from its
  snapshot; in WAL mode a reader never blocks a writer (nor the writer the reader), so the copy is the
  database as it was at that instant, whatever is written meanwhile.
- A rollback-journal database: each step holds a shared lock, which makes a writer's COMMIT wait (its
  busy timeout) for that step only, and is released between steps. When a writer commits between two
  steps, SQLite starts the copy again; after MAX_RESTARTS the copy is made in one step, whose lock then
  lasts as long as the whole copy (a database that small it fits a writer's busy timeout; measured in
  docs/how-to/sqlite.md).

Each copy's line says the longest step (the longest the lock was held) and the restarts.
A writer that holds its lock longer than the URL's `timeout` (all waits of one file together): the dump
fails, nothing is backed up.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from ..common import select_databases
from ..compress import LEVEL
from ..engine import DumpError
from ..manifest import DatabaseDump, ServerDump, TableInfo, say
from ..steps import DumpRequest
from . import paths

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

STEP_PAGES = 256  # pages a step copies (1 MiB of 4 KiB pages): what bounds a step's lock
MAX_RESTARTS = 8  # rollback journal: copies started again by a writer's commit before one whole step
BUSY_WAIT = 0.05  # seconds SQLite waits for a lock in one call, before the copy tries again
FRAME_INPUT = 1 << 20  # bytes of the copy in each zstd frame
SCHEMA = "main"
_OK, _BUSY, _LOCKED, _DONE = 0, 5, 6, 101  # sqlite3_backup_step's results
R = TypeVar("R")


class _Locked(Exception):
    """The database stayed locked by another connection past the deadline."""


class _Restarted(Exception):
    """A writer's commits started the stepped copy again too often."""


@dataclass
class CopyReport:
    journal: str  # the source's journal mode: wal, delete, truncate, persist, memory, off
    pages: int
    steps: int = 0
    longest_step: float = 0.0  # seconds: the longest a step held its lock
    restarts: int = 0
    whole: bool = False  # copied in one step, after MAX_RESTARTS


def matched_files(url_path: str) -> list[str]:
    """The files a URL's path names: itself, or its glob's regular files, sorted."""
    if paths.is_glob(url_path):
        return sorted(path for path in glob.glob(url_path) if os.path.isfile(path))
    return [url_path] if os.path.exists(url_path) else []


def dump_files(request: DumpRequest, src: Path) -> ServerDump:
    url_path = request.url.database or ""
    found = matched_files(url_path)
    if not found:
        what = "the glob matches no file" if paths.is_glob(url_path) else "there is no such file"
        raise DumpError(
            f"{request.url.without_password()}: {what}; check DATABASE_URL; nothing was backed up"
        )
    try:
        chosen = select_databases(found, request.databases, None)
    except ValueError as exc:
        raise DumpError(f"TASK DATABASES: {exc}") from exc
    timeout = paths.timeout_of(request.url)
    dumps = [dump_file(path, src, timeout) for path in chosen]
    return ServerDump(
        engine=paths.NAME,
        client_version=sqlite3.sqlite_version,
        server_version=sqlite3.sqlite_version,
        globals_file="",
        databases=dumps,
        rows_in_dump_snapshot=True,
    )


def dump_file(path: str, src: Path, timeout: float) -> DatabaseDump:
    """One database copied, checked, counted and compressed into its file under `src`."""
    clock = time.monotonic()
    file = paths.dump_file(path)
    copy = src / f"{file}.partial"
    try:
        report = consistent_copy(Path(path), copy, timeout)
        tables = check_database(copy, f"the copy of {path}")
        size = compress(copy, src / file)
    finally:
        for leftover in (copy, *sidecars(copy)):
            leftover.unlink(missing_ok=True)
    seconds = time.monotonic() - clock
    rows = sum(count or 0 for count in tables.values())
    how = "in one step, after a writer restarted it" if report.whole else f"in {report.steps} step(s)"
    say(
        f"copied {path} ({report.journal} journal): {report.pages} pages {how}, the longest lock "
        f"{report.longest_step * 1000:.1f} ms, {report.restarts} restart(s); integrity ok; {len(tables)} "
        f"tables, {rows} rows; {size / 1e6:.1f} MB compressed in {seconds:.2f} s"
    )
    infos = [TableInfo(SCHEMA, name, count) for name, count in tables.items()]
    return DatabaseDump(path, file, size, round(seconds, 3), infos)


def sidecars(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database: its WAL, shared memory, rollback journal."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def connect(path: Path, mode: str = "rw", timeout: float = BUSY_WAIT) -> sqlite3.Connection:
    """A connection to an existing file (`mode=rw`: never creating one), in autocommit."""
    uri = f"file:{quote(str(path))}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)


def consistent_copy(source: Path, dest: Path, timeout: float) -> CopyReport:
    """`source` copied into `dest` (a new file) as it was at one instant; DumpError when it is not a
    SQLite database, or a writer locked it longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    if not source.is_file():
        raise DumpError(f"{source} is not a file; check DATABASE_URL; nothing was backed up")
    try:
        with contextlib.closing(connect(source)) as db:
            journal = str(_retry(lambda: db.execute("PRAGMA journal_mode").fetchone()[0], deadline)).lower()
            report = CopyReport(journal, 0)
            if journal == "wal":  # one snapshot for every step: the writer goes on beside it
                db.execute("BEGIN")
                _retry(lambda: db.execute("SELECT count(*) FROM sqlite_master").fetchone(), deadline)
            try:
                _copy(db, dest, report, deadline, STEP_PAGES)
            except _Restarted:
                report.whole = True
                dest.unlink(missing_ok=True)
                _copy(db, dest, report, deadline, -1)
            if journal == "wal":
                db.execute("COMMIT")
            return report
    except _Locked:
        raise DumpError(
            f"{source} stayed locked by another connection for more than {timeout:g} s (the URL's "
            "timeout); nothing was backed up; shorten the writer's transactions or raise ?timeout="
        ) from None
    except sqlite3.DatabaseError as exc:
        if _is_locked(exc):
            raise DumpError(
                f"{source} stayed locked by another connection for more than {timeout:g} s (the URL's "
                "timeout); nothing was backed up; shorten the writer's transactions or raise ?timeout="
            ) from None
        raise DumpError(
            f"{source} is not a SQLite database, or is damaged ({exc}); check DATABASE_URL; nothing was "
            "backed up"
        ) from None


def _copy(db: sqlite3.Connection, dest: Path, report: CopyReport, deadline: float, pages: int) -> None:
    last = [time.monotonic(), _OK]  # when the previous step ended, its result
    remaining = [-1]

    def progress(status: int, left: int, total: int) -> None:
        now = time.monotonic()
        if status in (_BUSY, _LOCKED):
            if now > deadline:
                raise _Locked
        else:
            report.steps += 1
            report.pages = total
            if last[1] not in (_BUSY, _LOCKED):  # a step after a wait: its time holds the wait
                report.longest_step = max(report.longest_step, now - float(last[0]))
            if pages > 0 and remaining[0] >= 0 and left > remaining[0]:
                report.restarts += 1
                if report.restarts > MAX_RESTARTS:
                    raise _Restarted
            remaining[0] = left
        last[0], last[1] = time.monotonic(), status

    with contextlib.closing(sqlite3.connect(dest, isolation_level=None)) as target:
        last[0] = time.monotonic()
        db.backup(target, pages=pages, progress=progress, sleep=BUSY_WAIT)


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry(work: Callable[[], R], deadline: float) -> R:
    """`work` again while SQLite says the database is locked, until `deadline`; then _Locked."""
    while True:
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
            if time.monotonic() > deadline:
                raise _Locked from None
            time.sleep(BUSY_WAIT)


def check_database(path: Path, what: str) -> dict[str, int | None]:
    """`PRAGMA integrity_check` of a private copy, then each table's rows (None: a virtual table whose
    module is not here); DumpError naming `what` when it is damaged."""
    try:
        with contextlib.closing(connect(path)) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise DumpError(
                    f"{what} fails PRAGMA integrity_check ({len(problems)} problem(s), the first: "
                    f"{problems[0] if problems else 'none said'}); nothing was taken from it"
                )
            return count_rows(db)
    except sqlite3.DatabaseError as exc:
        raise DumpError(
            f"{what} is not a readable SQLite database ({exc}); nothing was taken from it"
        ) from None


def count_rows(db: sqlite3.Connection) -> dict[str, int | None]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    counts: dict[str, int | None] = {}
    for name in names:
        try:
            counts[name] = int(db.execute(f"SELECT count(*) FROM {quote_name(name)}").fetchone()[0])
        except sqlite3.OperationalError:
            counts[name] = None
    return counts


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compress(copy: Path, into: Path) -> int:
    """`copy` compressed into `into`, one zstd frame per FRAME_INPUT bytes; its size."""
    compressor = zstd.ZstdCompressor(level=LEVEL)
    with copy.open("rb") as source, into.open("wb") as out:
        while chunk := source.read(FRAME_INPUT):
            out.write(compressor.compress(chunk, mode=zstd.ZstdCompressor.FLUSH_FRAME))
    return into.stat().st_size


def decompress(file: Path, into: Path) -> None:
    """A copy `compress` made, back into a database file at `into`; DumpError when it is damaged."""
    try:
        with zstd.open(file, "rb") as source, into.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except zstd.ZstdError as exc:
        raise DumpError(f"{file.name} in the backup is damaged ({exc}); nothing was restored") from None
