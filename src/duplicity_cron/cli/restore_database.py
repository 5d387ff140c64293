"""`restore TASK [--time T] [--database NAME]... [--to-url URL] [--drop]` of a task whose EXTRACT is the
built-in dump: duplicity restores the dump into a private folder under `<work>/<id>/restores` (removed
after), then `databases.restore` loads it into the task's server, or `--to-url`'s; SQLite's files
(`Engine.local_files`) go back where they were, or into `--to DIR`.

`--to-url` holds no password (a command line is visible to every process): the client's own variable
(PGPASSWORD, MYSQL_PWD) when the environment has it, else the task's password (DATABASE_PASSWORD, or
DATABASE_URL's), else the client's files (~/.pgpass, ~/.my.cnf).

Exit codes: 0 loaded, 1 duplicity or a client failed, 2 a usage error or a refusal (databases that
exist without `--drop`, a `--database` the dump does not hold): nothing was loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..config.duplicity_values import split_url_password
from ..databases import engine_for, parse_database_url, password_for
from ..databases.steps import EXIT_REFUSED, RestoreDumpRequest
from ..model import DatabaseUrl, Task
from ..monitoring.notifications import Notifier
from ..runner.context import RunContext
from ..runner.restore_backup import LOAD_STEP, RestoreOutcome, RestoreRequest, restore_backup
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, UsageError

RESTORES_FOLDER = "restores"


def fresh_folder(parent: Path) -> Path:
    """A new folder in `parent`, named by the UTC time (mode 700: a dump holds password hashes)."""
    parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for count in range(1, 1000):
        folder = parent / (stamp if count == 1 else f"{stamp}-{count}")
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return folder
    raise UsageError(f"cannot make a fresh folder in {parent}")


def server_of(task: Task, to_url: str | None, env: Mapping[str, str]) -> tuple[DatabaseUrl, str | None]:
    """The URL to load into and the password to give its client (None: the client's own variables)."""
    assert task.database_url is not None
    if to_url is None:
        return task.database_url, task.server_password
    try:
        url = parse_database_url(to_url)
    except ValueError as exc:
        raise UsageError(f"--to-url: {exc}") from None
    engine = task.database_url.engine
    if local_files(task):
        raise UsageError(
            f"--to-url loads into another server; task {task.id}'s databases are {engine} files: "
            "use --to DIR to restore them into a folder"
        )
    if url.password is not None:
        variable = engine_for(url).password_variable
        raise UsageError(
            f"--to-url holds a password, which every process can read in a command line; leave it out "
            f"and set {variable} (or the task's DATABASE_PASSWORD is used)"
        )
    if url.engine != engine:
        raise UsageError(f"--to-url is a {url.engine} server; the dump of task {task.id} is of {engine}")
    return url, password_for(url, task.server_password, env)


def notify_restore(loaded: Loaded, task: Task, outcome: RestoreOutcome, into: str) -> None:
    """The notification of a restore that ended, as the task's NOTIFY_ON asks (none for a refusal)."""
    if outcome.record is None:
        return
    reason = outcome.line or (f"step {outcome.step} exited with code {outcome.code}" if outcome.code else "")
    config, mask = loaded.config, loaded.environment.mask  # as the log's lines and a run's output tail are
    Notifier(config.notify_urls_for, config.notify_on_for, loaded.log).restore_finished(
        task, outcome.record, mask(into), mask(reason)
    )


def local_files(task: Task) -> bool:
    """Whether the task's databases are files on this machine (SQLite), not a server's."""
    return task.database_url is not None and engine_for(task.database_url).local_files


def restore_databases(options: argparse.Namespace, loaded: Loaded, task: Task, when: str | None) -> int:
    config, log, env = loaded.config, loaded.log, loaded.environment.values
    work_dir = Path(config.work_dir)
    try:
        url, password = server_of(task, options.to_url, env)
        folder = fresh_folder(work_dir / task.id / RESTORES_FOLDER)
    except (UsageError, OSError) as exc:
        print(f"duplicity-cron restore: {exc}", file=sys.stderr)
        return EXIT_USAGE
    to_folder = Path(os.path.abspath(options.to)) if options.to is not None else None
    where = str(to_folder) if to_folder is not None else url.without_password()
    load = RestoreDumpRequest(
        "restore",
        url,
        password,
        folder,
        tuple(options.database),
        options.drop,
        to_folder=to_folder,
        jobs=config.restore_jobs,
    )
    log.event(
        f"restoring the {'backup at ' + when if when else 'latest backup'} from "
        f"{split_url_password(task.target or '')[0]} and loading its databases into {where}",
        task=task.id,
    )
    try:
        os.chmod(folder, 0o700)
        # no progress lines: the databases' load says what it does
        context = replace(RunContext.of(config, env, log), progress_interval=0)
        outcome = restore_backup(task, RestoreRequest(folder, when, load=load, fresh=True), context)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    notify_restore(loaded, task, outcome, where)
    if outcome.code == 0:
        log.event(f"restored the databases into {where}", task=task.id, event="restored", path=where)
        return EXIT_OK
    if outcome.step == LOAD_STEP and outcome.code == EXIT_REFUSED:
        log.event("nothing was restored", task=task.id, level="error")
        return EXIT_USAGE
    if outcome.step == LOAD_STEP:
        log.event(
            f"restore failed: loading the dump exited with code {outcome.code}", task=task.id, level="error"
        )
        return EXIT_FAILED
    refused = outcome.code == EXIT_REFUSED  # the same code for duplicity's step: a --time before the first
    log.event(f"restore {'refused' if refused else 'failed'}: {outcome.line}", task=task.id, level="error")
    return EXIT_USAGE if refused else EXIT_FAILED
