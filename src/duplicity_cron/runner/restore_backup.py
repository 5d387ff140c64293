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

from ..log import Log
from ..model import Task
from ..targets.duplicity import Command, restore_command
from . import reaper
from .builtin import KeyringError, archive_path, empty_dir, end_gpg_agent, gnupg_home, prepare_keyring
from .cancel import Cancel, on_stop_signals
from .lock import TaskBusy, task_lock
from .process import run_step
from .progress import MachineLogFilter, log_reporter

STEP = "restore"
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
) -> int:
    """Restore and return duplicity's exit code (EXIT_BUSY while a run of the task goes on, EXIT_FAILED
    when a folder cannot be used). Over a folder that holds something (`force`), the backup is
    restored beside its content first (`.restore-*` inside it), then moved in: a failed restore leaves
    the folder as it was."""
    try:
        with task_lock(work_dir / task.id) as lock_fd:
            return _restore(task, request, work_dir, env, log, stop_grace, lock_fd)
    except TaskBusy:
        log.event("the task is running in another process; nothing was restored", task=task.id, level="error")
        return EXIT_BUSY
    except (OSError, KeyringError) as exc:  # the work folder, the keys, the destination: no traceback
        log.event(f"cannot restore: {exc}", task=task.id, level="error")
        return EXIT_FAILED


def _restore(
    task: Task,
    request: RestoreRequest,
    work_dir: Path,
    env: Mapping[str, str],
    log: Log,
    stop_grace: float,
    lock_fd: int,
) -> int:
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
        env = {**env, **command.env, **keyring}
        code = _run(task, command, env, work_dir, log, stop_grace, lock_fd, request)
        if code == 0 and staging is not None:
            merge_into(staging, request.destination)
        return code
    finally:
        end_gpg_agent(gnupg)
        with contextlib.suppress(OSError):
            empty_dir(gnupg)  # the private key imported into it does not stay on disk
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _run(
    task: Task,
    command: Command,
    env: Mapping[str, str],
    work_dir: Path,
    log: Log,
    stop_grace: float,
    lock_fd: int,
    request: RestoreRequest,
) -> int:
    """Duplicity in its own process group, its lines logged as step `restore`; SIGTERM/SIGINT stop it.
    It inherits the task lock, as a run's steps do (see runner.lock)."""
    reaper.start_reaper_if_pid1()
    cancel = Cancel()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cancel.interrupt(time.monotonic() + stop_grace)

    reporter = log_reporter(request.progress_interval, log, task.id, STEP, bar=request.terminal)

    def show(stream: str, text: str, cut: bool = False) -> None:
        reporter.clear()  # the bar's line first, on a terminal
        log.output(task.id, STEP, stream, text, cut=cut)

    progress = MachineLogFilter(reporter, lambda text: show("stdout", text))

    def on_line(stream: str, text: str, cut: bool = False) -> None:
        if request.progress_interval > 0 and stream == "stdout" and progress.feed(text):
            return  # duplicity's machine-readable log: progress, and its warnings in words
        show(stream, text, cut)

    on_stop_signals(on_signal)
    try:
        outcome = run_step(
            command.shell,
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
