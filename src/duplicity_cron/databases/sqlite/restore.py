"""SQLite's `Engine.load`: the files of a dump (`sqlite.dump`) put back, or drilled.

- `restore`: every chosen database (`--database PATH`, else all) back where it was, or into
  `request.to_folder` under its own name (`restore TASK --to DIR`). A file there already refuses the
  whole restore unless `drop` (nothing written). Each copy is decompressed beside its destination, must
  pass `PRAGMA integrity_check` and hold the manifest's row counts, and only then replaces the file in
  one rename (with `drop`, the old file's -wal, -shm and -journal removed first: they belong to it).
  Stop the application that has the file open first; a restore replaces the file, not the data an open
  connection holds. (The runner may stop it around this step: the `databases` step of `restore TASK`.)
- `drill`: each copy decompressed into the drill's folder, `PRAGMA integrity_check`, its rows counted
  and compared with the manifest's, VERIFY_SQL's statements run on it read-only (each must return a
  true value, `checks.check_problem`), removed after.
- `cleanup`: nothing: a drill leaves its files in the drill's folder, which the drill removes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from ...model import SqlCheck
from ..checks import assign_checks, check_problem
from ..common import choose, count_problem
from ..engine import DumpedDatabase, DumpError, Refused
from ..manifest import read_manifest, say
from ..steps import RestoreDumpRequest, loaded_line
from . import paths
from .dump import SCHEMA, check_database, decompress, sidecars


def load_files(request: RestoreDumpRequest) -> None:
    _manifest, dumped = read_manifest(request.folder, paths.NAME)
    if request.mode == "restore":
        restore(request, choose(dumped, request.databases))
    elif request.mode == "drill":
        drill(request, dumped)
    else:
        say("nothing to clean up: a drill of SQLite files leaves them in its own folder")


def destinations(chosen: list[DumpedDatabase], to_folder: Path | None) -> dict[str, Path]:
    """Where each database goes: where it was, or `to_folder`/its file name; Refused when two would
    go to the same file."""
    found = {
        database.name: Path(database.name) if to_folder is None else to_folder / Path(database.name).name
        for database in chosen
    }
    if len(set(found.values())) < len(found):
        raise Refused(
            f"two databases have the same file name, and would go to one file of {to_folder}: restore "
            "them one at a time (--database PATH) into different folders (nothing was restored)"
        )
    return found


def restore(request: RestoreDumpRequest, chosen: list[DumpedDatabase]) -> None:
    into = destinations(chosen, request.to_folder)
    existing = [str(path) for path in into.values() if path.exists()]
    if existing and not request.drop:
        raise Refused(
            f"{', '.join(existing)} exist(s) already; add --drop to replace them, or --to DIR to restore "
            "into another folder (nothing was restored)"
        )
    for database in chosen:
        destination = into[database.name]
        destination.parent.mkdir(parents=True, exist_ok=True)
        replaced = destination.exists()
        put_in_place(database, destination)
        say(f"restored database {database.name} into {destination}{' (replaced)' if replaced else ''}")
    say(f"restored {len(chosen)} SQLite database(s)")


def put_in_place(database: DumpedDatabase, destination: Path) -> None:
    """The copy decompressed beside `destination`, checked against the manifest, then renamed over it."""
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.restore-", dir=destination.parent)
    os.close(handle)
    scratch = Path(name)
    try:
        decompress(database.file, scratch)
        check(database, scratch, f"the restored copy of {database.name}")
        if destination.exists():
            mode = destination.stat().st_mode & 0o7777
            with contextlib.suppress(OSError):
                os.chown(scratch, destination.stat().st_uid, destination.stat().st_gid)
            os.chmod(scratch, mode)
        for sidecar in sidecars(destination):  # the old file's: they would be read as the new one's
            sidecar.unlink(missing_ok=True)
        os.replace(scratch, destination)
    finally:
        for leftover in (scratch, *sidecars(scratch)):
            leftover.unlink(missing_ok=True)


def drill(request: RestoreDumpRequest, dumped: list[DumpedDatabase]) -> None:
    try:
        checks = assign_checks(request.checks, [database.name for database in dumped])
    except ValueError as exc:
        raise DumpError(str(exc)) from None
    folder = Path(tempfile.mkdtemp(prefix="sqlite-drill-", dir=request.folder))
    loading = 0.0  # the copies decompressed: SQLite's part of the recovery time (`loaded_line`)
    try:
        for index, database in enumerate(dumped, start=1):
            scratch = folder / f"{index}.db"
            started = time.monotonic()
            decompress(database.file, scratch)
            loading += time.monotonic() - started
            found = check(database, scratch, f"the restored copy of {database.name}")
            say(
                f"checked database {database.name}: integrity ok, {len(found)} tables, "
                f"{sum(found.values()):,} rows, as the manifest says"
            )
            for sql in checks[database.name]:
                run_check(sql, scratch, database.name)
            for leftover in (scratch, *sidecars(scratch)):
                leftover.unlink(missing_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    say(loaded_line(loading))
    tables = sum(len(database.rows) for database in dumped)
    say(
        f"checked {len(dumped)} SQLite database(s): each passes PRAGMA integrity_check, and the rows of all "
        f"{tables} tables are the manifest's"
    )


def check(database: DumpedDatabase, path: Path, what: str) -> dict[tuple[str, str], int]:
    """`PRAGMA integrity_check` and the rows of the copy at `path` against the manifest; DumpError."""
    counted = check_database(path, what)
    uncounted = {(SCHEMA, name) for name, rows in counted.items() if rows is None}  # virtual tables
    found = {(SCHEMA, name): rows for name, rows in counted.items() if rows is not None}
    expected = {key: rows for key, rows in database.rows.items() if key not in uncounted}
    problem = count_problem(database.name, expected, found)
    if problem is not None:
        raise DumpError(problem)
    return found


def run_check(sql: SqlCheck, path: Path, name: str) -> None:
    """One VERIFY_SQL statement on the drill's copy at `path`, opened read-only (a statement that
    writes fails); DumpError unless it returns a true value."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute(sql.statement).fetchone()
    except sqlite3.Error as exc:
        raise DumpError(f"{sql.describe()} failed on the restored copy of {name}: {exc}") from None
    value = None if row is None else ("" if row[0] is None else str(row[0]))
    problem = check_problem(sql, value)
    if problem is not None:
        raise DumpError(problem)
    say(f"{sql.describe()}: true on the restored copy of {name}")
