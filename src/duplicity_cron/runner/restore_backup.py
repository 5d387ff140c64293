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
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ..databases.steps import RestoreDumpRequest, restore_shell
from ..model import Task
from ..targets.duplicity import restore_command
from .context import LockedRun, RunContext
from .folders import empty_dir, is_empty_folder
from .keyring import KeyringError, end_gpg_agent, prepare_keyring
from .lock import TaskBusy, task_lock
from .processes import reaper
from .processes.cancel import Cancel, on_stop_signals
from .progress import restore_lines

STEP = "restore"
LOAD_STEP = "databases"
EXIT_BUSY = 1  # a run of the task holds its lock: nothing was restored
EXIT_FAILED = 1


@dataclass(frozen=True)
class RestoreRequest:
    destination: Path  # a folder: missing, empty, or (with force) anything
    time: str | None = None  # a duplicity time; None: the latest backup
    path: str | None = None  # relative to SOURCE; None: all of it
    force: bool = False  # restore over what the destination holds
    # A built-in dump to load from the restored folder, as step `databases`, under the same lock.
    load: RestoreDumpRequest | None = None


@dataclass(frozen=True)
class RestoreOutcome:
    code: int  # the exit code of `step`, the last one run (0: every step succeeded)
    step: str = STEP  # STEP (duplicity, or what comes before it) or LOAD_STEP


def restore_backup(task: Task, request: RestoreRequest, context: RunContext) -> RestoreOutcome:
    """Restore and return duplicity's exit code (EXIT_BUSY while a run of the task goes on, EXIT_FAILED
    when a folder cannot be used). Over a folder that holds something (`force`), the backup is
    restored beside its content first (`.restore-*` inside it), then moved in: a failed restore leaves
    the folder as it was. With `request.load`, the dump is then loaded (LOAD_STEP), whose exit code is
    `databases.restore`'s (0, 1, or 2 when it refused). SIGTERM/SIGINT stop it: the running step
    gets CONF_STOP_GRACE."""
    log = context.log
    reaper.start_reaper_if_pid1()
    cancel = Cancel()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cancel.interrupt(time.monotonic() + context.stop_grace)

    on_stop_signals(on_signal)
    try:
        with task_lock(context.task_folder(task.id)) as lock_fd:
            return _restore(LockedRun(task, context, cancel, lock_fd), request)
    except TaskBusy:
        log.event("the task is running in another process; nothing was restored", task=task.id, level="error")
        return RestoreOutcome(EXIT_BUSY)
    except (OSError, KeyringError) as exc:  # the work folder, the keys, the destination: no traceback
        log.event(f"cannot restore: {exc}", task=task.id, level="error")
        return RestoreOutcome(EXIT_FAILED)
    finally:
        cancel.close()


def _restore(run: LockedRun, request: RestoreRequest) -> RestoreOutcome:
    task, context = run.task, run.context
    gnupg = context.gnupg_home(task.id)
    staging: Path | None = None
    try:
        keyring = prepare_keyring(task, gnupg, context.env, secret=True)  # the private key too: it decrypts
        into = request.destination
        if request.force and into.is_dir() and not is_empty_folder(into):
            staging = into = Path(tempfile.mkdtemp(prefix=".restore-", dir=request.destination))
        command = restore_command(
            task,
            destination=str(into / request.path if request.path else into),
            archive=context.archive_path(task),
            time=request.time,
            path=request.path,
            as_root=os.geteuid() == 0,
            progress=context.progress_interval > 0,
        )
        duplicity_env = {**context.env, **command.env, **keyring}
        code = _step(run, STEP, command.shell, duplicity_env, machine_log=command.redirect != "")
        if code == 0 and staging is not None:
            merge_into(staging, request.destination)
        if code == 0 and request.load is not None:
            code = _step(run, LOAD_STEP, restore_shell(), {**context.env, **request.load.to_env()})
            return RestoreOutcome(code, LOAD_STEP)
        return RestoreOutcome(code)
    finally:
        end_gpg_agent(gnupg)
        with contextlib.suppress(OSError):
            empty_dir(gnupg)  # the private key imported into it does not stay on disk
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _step(run: LockedRun, step: str, shell: str, env: dict[str, str], *, machine_log: bool = False) -> int:
    """`shell` in its own process group, its lines logged as `step`; it inherits the task lock, as a
    run's steps do (see runner.lock)."""
    context, task_id = run.context, run.task.id

    def show(stream: str, text: str, cut: bool = False) -> None:
        context.log.output(task_id, step, stream, text, cut=cut)

    with restore_lines(show, machine_log, context.progress_interval, context.log, task_id, step,
                       context.terminal) as on_line:  # fmt: skip
        outcome = run.run(shell, env, on_line, deadline=None)
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
