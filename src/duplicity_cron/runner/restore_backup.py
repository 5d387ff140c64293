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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from ..config.durations import format_precise
from ..databases import engine_for
from ..databases.steps import RestoreDumpRequest, restore_shell
from ..model import RestoreRecord, Task
from ..state import restores
from ..targets.duplicity import restore_command
from ..targets.duplicity_errors import explain
from ..targets.restore_time import time_problem
from .containers import RunContainers
from .context import LockedRun, RunContext
from .damaged_cache import set_aside_to_retry
from .folders import empty_dir, is_empty_folder
from .keyring import KeyringError, end_gpg_agent, prepare_keyring
from .lock import TaskBusy, task_lock
from .processes import reaper
from .processes.cancel import Cancel, on_stop_signals
from .processes.step import StepOutcome
from .progress import restore_lines
from .restore_leftovers import clean_leftovers, remove_made, remove_note, write_note
from .target_contents import read_target_contents

STEP = "restore"
LOAD_STEP = "databases"
EXIT_FAILED = 1
EXIT_REFUSED = 2  # nothing was restored: the target holds nothing at that time


@dataclass(frozen=True)
class RestoreRequest:
    destination: Path  # a folder: missing, empty, or (with force) anything
    time: str | None = None  # a duplicity time; None: the latest backup
    path: str | None = None  # relative to SOURCE; None: all of it
    force: bool = False  # restore over what the destination holds
    # A built-in dump to load from the restored folder, as step `databases`, under the same lock.
    load: RestoreDumpRequest | None = None
    fresh: bool = False  # `destination` was made for this restore: removed when it fails


@dataclass(frozen=True)
class RestoreOutcome:
    code: int  # the exit code of `step`, the last one run (0: every step succeeded)
    step: str = STEP  # STEP (duplicity, or what comes before it) or LOAD_STEP
    line: str = ""  # why it failed, one line (empty: it succeeded, or LOAD_STEP said why)
    record: RestoreRecord | None = None  # what the state folder keeps of it; None: refused, nothing restored


def restore_backup(task: Task, request: RestoreRequest, context: RunContext) -> RestoreOutcome:
    """Restore and return the outcome: EXIT_FAILED with its line when a run of the task goes on, a
    folder cannot be used, duplicity failed or CONF_RESTORE_TIMEOUT passed; EXIT_REFUSED when the
    target holds no backup at `request.time`. Over a folder that holds something (`force`), the
    backup is restored beside its content first (`.restore-*` inside it), then moved in: a failed
    restore leaves the folder as it was; a folder the restore made is removed when it fails. With
    `request.load`, the dump is then loaded (LOAD_STEP), whose exit code is `databases.restore`'s
    (0, 1, or 2 when it refused). SIGTERM/SIGINT stop it: the running step gets CONF_STOP_GRACE."""
    reaper.start_reaper_if_pid1()
    cancel = Cancel()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cancel.interrupt(time.monotonic() + context.stop_grace)

    on_stop_signals(on_signal)
    try:
        with task_lock(context.task_folder(task.id)) as lock_fd:
            return _Restore(LockedRun(task, context, cancel, lock_fd), request).work()
    except TaskBusy:
        return RestoreOutcome(EXIT_FAILED, line="a run of the task is going on; try again when it ends")
    except (OSError, KeyringError) as exc:  # the work folder, the keys, the destination: no traceback
        return RestoreOutcome(EXIT_FAILED, line=str(exc))
    finally:
        cancel.close()


class _Restore:
    def __init__(self, run: LockedRun, request: RestoreRequest) -> None:
        self.run, self.request = run, request
        self.task, self.context, self.log = run.task, run.context, run.context.log
        self.folder = self.context.task_folder(self.task.id)
        self.gnupg = self.context.gnupg_home(self.task.id)
        self.deadline = time.monotonic() + self.context.restore_timeout
        self.made: list[Path] = [request.destination] if request.fresh else []
        self.was_empty = request.destination.is_dir() and is_empty_folder(request.destination)
        self.staging: Path | None = None
        self.cut = ""  # why the last step was stopped (timeout, interrupt); empty: it ended

    def work(self) -> RestoreOutcome:
        if removed := clean_leftovers(self.folder):
            names = ", ".join(str(path) for path in removed)
            self.log.event(
                f"removed what an interrupted restore left: {names}", task=self.task.id, level="warning"
            )
        outcome = RestoreOutcome(EXIT_FAILED, line="the restore did not finish")
        began = time.monotonic()
        try:
            outcome = self._restore()
        finally:
            record = self._record(outcome, time.monotonic() - began)
            end_gpg_agent(self.gnupg)
            with contextlib.suppress(OSError):
                empty_dir(self.gnupg)  # the private key imported into it does not stay on disk
            remove_made([self.staging] if self.staging else [])
            self._undo(outcome)
            remove_note(self.folder)
        return replace(outcome, record=record)

    def _record(self, outcome: RestoreOutcome, seconds: float) -> RestoreRecord | None:
        """The restore's recovery time in the state folder, for `status` and the metrics; said in its
        last line. A refusal (nothing restored, exit 2) is no restore."""
        if outcome.code == EXIT_REFUSED:
            return None
        succeeded = outcome.code == 0
        record = RestoreRecord(datetime.now(UTC), succeeded, seconds if succeeded else None)
        if succeeded:
            self.log.event(f"the data came back in {format_precise(seconds)}", task=self.task.id)
        try:
            restores.write(Path(self.context.state_dir), self.task.id, record)
        except OSError as exc:
            self.log.event(f"cannot record the restore in the state folder: {exc}", task=self.task.id,
                           level="warning")  # fmt: skip
        return record

    def _undo(self, outcome: RestoreOutcome) -> None:
        """After a failure, what the restore made goes (a load's folder is the caller's to remove)."""
        if outcome.code == 0:
            return
        remove_made(self.made)
        if self.was_empty and self.request.destination.is_dir():
            with contextlib.suppress(OSError):
                empty_dir(self.request.destination)  # as empty as it was

    def _restore(self) -> RestoreOutcome:
        request, context, task = self.request, self.context, self.task
        keyring = prepare_keyring(task, self.gnupg, context.env, secret=True)  # the private key: it decrypts
        if request.time is not None and (refused := self._time_problem()) is not None:
            return RestoreOutcome(EXIT_REFUSED, line=f"{refused}; nothing was restored")
        into = request.destination
        if not into.exists():
            self.made.append(into)  # duplicity makes it
        if request.force and into.is_dir() and not is_empty_folder(into):
            self.staging = into = Path(tempfile.mkdtemp(prefix=".restore-", dir=request.destination))
        write_note(self.folder, [*self.made, *([self.staging] if self.staging else [])])
        command = restore_command(
            task,
            destination=str(into / request.path if request.path else into),
            archive=context.archive_path(task),
            time=request.time,
            path=request.path,
            as_root=os.geteuid() == 0,
            progress=context.progress_interval > 0,
        )
        env = {**context.env, **command.env, **keyring}
        outcome = self._duplicity(command.shell, env, command.redirect != "", into)
        if outcome.code != 0:
            return outcome
        if self.staging is not None:
            merge_into(self.staging, request.destination)
        if request.load is not None:
            return RestoreOutcome(self._load(request.load), LOAD_STEP)
        return outcome

    def _load(self, load: RestoreDumpRequest) -> int:
        """The dump loaded; files put back in place (SQLite's) with the task's stop-during-backup
        containers stopped around it, as its backups are: an application must not hold them open."""
        env = {**self.context.env, **load.to_env()}

        def step() -> StepOutcome:
            return StepOutcome(self._step(LOAD_STEP, restore_shell(), env, []))

        if not (engine_for(load.url).local_files and load.mode == "restore" and load.to_folder is None):
            return step().exit_code
        log, task_id = self.context.log, self.task.id
        containers = RunContainers(
            self.task, self.context, True,
            lambda step, level, text: log.event(text, task=task_id, step=step, level=level),
            lambda step, stream, text: log.output(task_id, step, stream, text),
        )  # fmt: skip
        if not containers.begin_restore(LOAD_STEP):
            return EXIT_FAILED
        return containers.around_backup(step).exit_code

    def _time_problem(self) -> str | None:
        assert self.request.time is not None
        contents = read_target_contents(self.run)
        if contents is None:
            return None  # not read (said as a warning): duplicity judges
        return time_problem(self.request.time, datetime.now(UTC), contents)

    def _duplicity(self, shell: str, env: dict[str, str], machine_log: bool, into: Path) -> RestoreOutcome:
        """The restore; once more with duplicity's cache rebuilt from the target when it may be damaged."""
        for attempt in (1, 2):
            lines: list[str] = []
            code = self._step(STEP, shell, env, lines, machine_log=machine_log)
            if code == 0:
                return RestoreOutcome(0)
            if self.cut:
                return RestoreOutcome(code, line=self.cut)
            failure = explain(code, lines)
            if attempt == 2 or not failure.cache_may_be_damaged:
                return RestoreOutcome(code, line=failure.line)
            notice = set_aside_to_retry(self.task, self.context, failure, "restoring")
            self.log.event(notice, task=self.task.id, step=STEP, level="warning")
            with contextlib.suppress(OSError):
                empty_dir(into)
        raise AssertionError("unreachable")

    def _step(
        self, step: str, shell: str, env: dict[str, str], lines: list[str], *, machine_log: bool = False
    ) -> int:
        """`shell` in its own process group, its lines logged as `step` and kept in `lines`; it
        inherits the task lock, as a run's steps do (see runner.lock)."""
        context, task_id = self.context, self.task.id

        def show(stream: str, text: str, cut: bool = False) -> None:
            lines.append(text)
            context.log.output(task_id, step, stream, text, cut=cut)

        with restore_lines(show, machine_log, context.progress_interval, context.log, task_id, step,
                           context.terminal) as on_line:  # fmt: skip
            outcome = self.run.run(shell, env, on_line, deadline=self.deadline)
        if outcome.timed_out:
            self.cut = f"timed out after {context.restore_timeout:g}s (CONF_RESTORE_TIMEOUT); it was stopped"
        elif outcome.interrupted:
            self.cut = "interrupted; it was stopped"
        return outcome.exit_code or (1 if outcome.timed_out or outcome.interrupted else 0)


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
