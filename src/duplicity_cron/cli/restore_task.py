"""`restore TASK [--time T] [--to DIR] [--path P] [--force]`: restore the backup of a task with TARGET,
the latest or the one at a point in time, into a fresh folder under the work folder (or DIR). A task
whose EXTRACT is the built-in dump loads it into the server instead, unless `--to` or `--path` asks
for the files (`--database`, `--to-url`, `--drop`: see `cli.restore_database`).

Exit codes: 0 restored (the folder's path is the last line), 1 the restore failed (one line says why:
`targets.duplicity_errors`; duplicity's own lines are in the output above it), 2 a usage error or a
refusal (a `--time` before the first backup, a target without backups): nothing was restored.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from ..config.duplicity_values import parse_time, split_url_password
from ..config.encryption import restore_key_problem
from ..model import Task, dumps_databases
from ..runner.context import RunContext
from ..runner.folders import is_empty_folder
from ..runner.restore_backup import EXIT_REFUSED, RestoreRequest, restore_backup
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, UsageError, defined_tasks, parse, parser
from .restore_database import RESTORES_FOLDER, fresh_folder, local_files, notify_restore, restore_databases

SUMMARY = "run every restore task in order; with TASK: restore that task's backup"
_USAGE = """\
duplicity-cron restore
       duplicity-cron restore TASK [--time T] [--to DIR] [--path P] [--force]
       duplicity-cron restore TASK [--time T] [--database NAME]... [--to-url URL] [--drop]"""
_DESCRIPTION = """\
restore: run every restore task (TASK_<id>_RESTORE) once, ordered by <RESTORE>_<id>; stop at the
  first failure. Exit 1 at a failure, 2 when no restore task is defined.
restore TASK: restore the backup of a task with TARGET (the latest, or the one at --time) into a
  fresh folder under CONF_WORK_DIR, or DIR, and print its path on the last line.
  A task with DATABASE_URL: load its dump into the task's server (or --to-url's) instead;
  --to or --path ask for the dump's files (SQLite: its files go back where they were, or
  into --to DIR, checked; --drop replaces files that exist).
  Exit 1 when the restore failed (one line says why), 2 for a usage error or a refusal."""


def command_parser() -> argparse.ArgumentParser:
    """Both forms of `restore`: its `--help` shows them all (`restore` alone has no option)."""
    command_parser = parser("restore", _DESCRIPTION, _USAGE)
    command_parser.add_argument("task", metavar="TASK", help="a task with TARGET")
    command_parser.add_argument(
        "--time",
        metavar="T",
        help="the backup at this time: an interval ago (3D), a date (2026-12-01), a date and time "
        "(default: the latest)",
    )
    command_parser.add_argument("--to", metavar="DIR", help="restore into DIR (missing or empty)")
    command_parser.add_argument(
        "--path", metavar="P", help="restore only this file or folder, relative to SOURCE"
    )
    command_parser.add_argument(
        "--force", action="store_true", help="restore into a --to folder that holds files"
    )
    command_parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="NAME",
        help="DATABASE_URL task: load only this database (repeatable)",
    )
    command_parser.add_argument(
        "--to-url",
        metavar="URL",
        help="DATABASE_URL task: load into this server, not the task's (no password in it: set "
        "PGPASSWORD or MYSQL_PWD)",
    )
    command_parser.add_argument(
        "--drop",
        action="store_true",
        help="DATABASE_URL task: replace the databases (SQLite: files) that exist",
    )
    return command_parser


def _loads_databases(options: argparse.Namespace, task: Task) -> bool:
    """Whether this restore loads the dump into a server (else: files, as for any task)."""
    loading = bool(options.database or options.to_url or options.drop)
    if not dumps_databases(task):
        if loading:
            raise UsageError(
                f"--database, --to-url and --drop load a built-in dump; task {task.id} has no DATABASE_URL "
                "(or an EXTRACT of its own)"
            )
        return False
    if options.path is None and options.to is not None and local_files(task):
        return True  # SQLite's files: checked, and written into the folder under their own names
    if options.to is not None or options.path is not None:
        if loading:
            raise UsageError("--to and --path restore the dump's files; --database, --to-url, --drop load it")
        return False
    return True


def _task(loaded: Loaded, name: str) -> Task:
    tasks = loaded.config.tasks
    if name not in tasks:
        raise UsageError(f"unknown task {name} {defined_tasks(tasks)}")
    task = tasks[name]
    if task.target is None:
        with_target = [t.id for t in tasks.values() if t.target is not None]
        raise UsageError(
            f"task {name} has no TARGET: `restore TASK` restores a backup task's TARGET "
            f"{defined_tasks(with_target)}; `restore` alone runs the restore tasks"
        )
    return task


def _relative_path(value: str) -> str:
    path = PurePosixPath(value.strip())
    if not value.strip() or path.is_absolute() or ".." in path.parts:
        raise UsageError(f"--path {value!r}: expected a path inside the backup, relative to its SOURCE")
    return str(path)


def _destination(value: str | None, force: bool, work_dir: Path, task: Task) -> tuple[Path, bool]:
    """The folder to restore into, and whether it is a fresh one made here."""
    if value is None:
        return fresh_folder(work_dir / task.id / RESTORES_FOLDER), True
    folder = Path(os.path.abspath(value))
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--to {folder}: is not a folder")
    if folder.is_dir() and not is_empty_folder(folder) and not force:
        raise UsageError(f"--to {folder}: is not empty; add --force to restore over what it holds")
    return folder, False


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    config, log = loaded.config, loaded.log
    try:
        task = _task(loaded, options.task)
        if (problem := restore_key_problem(task)) is not None:  # before a folder is made, or duplicity runs
            log.event(f"cannot restore: {problem}", task=task.id, level="error")
            return EXIT_FAILED
        when = None if options.time is None else _time(options.time)
        if _loads_databases(options, task):
            return restore_databases(options, loaded, task, when)
        path = None if options.path is None else _relative_path(options.path)
        destination, fresh = _destination(options.to, options.force, Path(config.work_dir), task)
    except (UsageError, OSError) as exc:
        print(f"duplicity-cron restore: {exc}", file=sys.stderr)
        return EXIT_USAGE
    log.event(
        f"restoring the {'backup at ' + when if when else 'latest backup'}"
        f"{' of ' + path if path else ''} from {split_url_password(task.target or '')[0]} into {destination}",
        task=task.id,
    )
    terminal = sys.stderr if sys.stderr.isatty() else None  # a live bar instead of progress lines
    context = RunContext.of(config, loaded.environment.values, log, terminal=terminal)
    request = RestoreRequest(destination, when, path, options.force, fresh=fresh)
    outcome = restore_backup(task, request, context)
    notify_restore(loaded, task, outcome, str(destination))
    if outcome.code != 0:
        refused = outcome.code == EXIT_REFUSED
        log.event(
            f"restore {'refused' if refused else 'failed'}: {outcome.line}", task=task.id, level="error"
        )
        return EXIT_USAGE if refused else EXIT_FAILED
    log.event(f"restored into {destination}", task=task.id, event="restored", path=str(destination))
    if config.log_format == "text":
        print(destination)  # alone on the last line, for scripts
    return EXIT_OK


def _time(value: str) -> str:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise UsageError(f"--time: {exc}") from None
