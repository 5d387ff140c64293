"""`restore TASK`: duplicity's restore of a backup task's TARGET, under the task's lock (its runs and
a restore share the task's GNUPGHOME and duplicity's archive folder), its output streamed through the
log, and `--force` done here (duplicity 3.2.1 restores into nothing but an empty or missing folder,
`--force` or not).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

from ..databases.steps import RestoreDumpRequest, restore_shell
from ..log import Log
from ..model import Task
from ..targets.duplicity import restore_command
from . import reaper
from .builtin import KeyringError, archive_path, empty_dir, end_gpg_agent, gnupg_home, prepare_keyring
from .cancel import Cancel, on_stop_signals
from .lock import TaskBusy, task_lock
from .process import run_step
from .progress import MachineLogFilter, log_reporter

STEP = "restore"
LOAD_STEP = "databases"
KILL_GRACE = 5.0
EXIT_BUSY = 1  # a run of the task holds its lock: nothing was restored
EXIT_FAILED = 1


@dataclass(frozen=True)
class RestoreRequest:
    destination: Path  # a folder: missing, empty, or (with force) anything
    time: str | None = None  # a duplicity time; None: the latest backup
    path: str | None = None  # relative to SOURCE; None: all of it
    force: bool = False  # restore over what the destination holds
    progress_interval: float = 0  # CONF_PROGRESS_INTERVAL; 0: no progress
    terminal: TextIO | None = None  # a terminal for a live progress bar instead of progress lines
    # A built-in dump to load from the restored folder, as step `databases`, under the same lock.
    load: RestoreDumpRequest | None = None


@dataclass(frozen=True)
class RestoreOutcome:
    code: int  # the exit code of `step`, the last one run (0: every step succeeded)
    step: str = STEP  # STEP (duplicity, or what comes before it) or LOAD_STEP


def is_empty_folder(path: Path) -> bool:
    return path.is_dir() and next(path.iterdir(), None) is None


def restore_backup(
    task: Task,
    request: RestoreRequest,
    *,
    work_dir: Path,
    env: Mapping[str, str],
    log: Log,
    stop_grace: float,
) -> RestoreOutcome:
    """Restore and return duplicity's exit code (EXIT_BUSY while a run of the task goes on, EXIT_FAILED
    when a folder cannot be used). Over a folder that holds something (`force`), the backup is
    restored beside its content first (`.restore-*` inside it), then moved in: a failed restore leaves
    the folder as it was. With `request.load`, the dump is then loaded (LOAD_STEP), whose exit code is
    `databases.restore`'s (0, 1, or 2 when it refused)."""
    try:
        with task_lock(work_dir / task.id) as lock_fd:
            return _restore(task, request, work_dir, env, log, stop_grace, lock_fd)
    except TaskBusy:
        log.event("the task is running in another process; nothing was restored", task=task.id, level="error")
        return RestoreOutcome(EXIT_BUSY)
    except (OSError, KeyringError) as exc:  # the work folder, the keys, the destination: no traceback
        log.event(f"cannot restore: {exc}", task=task.id, level="error")
        return RestoreOutcome(EXIT_FAILED)


def _restore(
    task: Task,
    request: RestoreRequest,
    work_dir: Path,
    env: Mapping[str, str],
    log: Log,
    stop_grace: float,
    lock_fd: int,
) -> RestoreOutcome:
    gnupg = gnupg_home(work_dir, task.id)
    staging: Path | None = None
    try:
        keyring = prepare_keyring(task, gnupg, env, secret=True)  # the private key too: it decrypts
        into = request.destination
        if request.force and into.is_dir() and not is_empty_folder(into):
            staging = into = Path(tempfile.mkdtemp(prefix=".restore-", dir=request.destination))
        command = restore_command(
            task,
            destination=str(into / request.path if request.path else into),
            archive=archive_path(task, env),
            time=request.time,
            path=request.path,
            as_root=os.geteuid() == 0,
            progress=request.progress_interval > 0,
        )
        duplicity_env = {**env, **command.env, **keyring}
        code = _run(task, STEP, command.shell, duplicity_env, work_dir, log, stop_grace, lock_fd,
                    request, machine_log=command.redirect != "")  # fmt: skip
        if code == 0 and staging is not None:
            merge_into(staging, request.destination)
        if code == 0 and request.load is not None:
            load_env = {**env, **request.load.to_env()}
            code = _run(
                task, LOAD_STEP, restore_shell(), load_env, work_dir, log, stop_grace, lock_fd, request
            )
            return RestoreOutcome(code, LOAD_STEP)
        return RestoreOutcome(code)
    finally:
        end_gpg_agent(gnupg)
        with contextlib.suppress(OSError):
            empty_dir(gnupg)  # the private key imported into it does not stay on disk
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _run(
    task: Task,
    step: str,
    shell: str,
    env: Mapping[str, str],
    work_dir: Path,
    log: Log,
    stop_grace: float,
    lock_fd: int,
    request: RestoreRequest,
    *,
    machine_log: bool = False,
) -> int:
    """`shell` in its own process group, its lines logged as `step`; SIGTERM/SIGINT stop it.
    It inherits the task lock, as a run's steps do (see runner.lock)."""
    reaper.start_reaper_if_pid1()
    cancel = Cancel()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cancel.interrupt(time.monotonic() + stop_grace)

    # Duplicity's machine-readable log (`restore_command(progress=True)`) gives the progress.
    interval = request.progress_interval if machine_log else 0
    reporter = log_reporter(interval, log, task.id, step, bar=request.terminal if machine_log else None)

    def show(stream: str, text: str, cut: bool = False) -> None:
        reporter.clear()  # the bar's line first, on a terminal
        log.output(task.id, step, stream, text, cut=cut)

    progress = MachineLogFilter(reporter, lambda text: show("stdout", text))

    def on_line(stream: str, text: str, cut: bool = False) -> None:
        if machine_log and stream == "stdout" and progress.feed(text):
            return  # duplicity's machine-readable log: progress, and its warnings in words
        show(stream, text, cut)

    on_stop_signals(on_signal)
    try:
        outcome = run_step(
            shell,
            cwd=str(work_dir),
            env=env,
            on_line=on_line,
            cancel=cancel,
            kill_grace=KILL_GRACE,
            keep_fds=(lock_fd,),
        )
    finally:
        reporter.close()
        cancel.close()
    return outcome.exit_code or (1 if outcome.interrupted else 0)


def merge_into(source: Path, destination: Path) -> None:
    """Move what `source` holds into `destination`: a file or link replaces what has its name there,
    a folder is merged into a folder of the same name (which keeps its own permissions)."""
    for entry in source.iterdir():
        there = destination / entry.name
        if entry.is_dir() and not entry.is_symlink() and there.is_dir() and not there.is_symlink():
            merge_into(entry, there)
            entry.rmdir()
            continue
        if there.is_dir() and not there.is_symlink():
            shutil.rmtree(there)
        else:
            with contextlib.suppress(FileNotFoundError):
                there.unlink()
        os.rename(entry, there)
