"""One run of a task: lock, work folders, the step chain and its hooks, the run's result told to the
observers (history, metrics, notifications, pings). A drill (`runner.verify_backup`) is run through the
same `run_locked`. A run in progress is kept in `state.inflight`, so
that one whose runner died is recorded as lost by the next process that takes the task's lock.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..log import Log
from ..model import BackupStats, RunObserver, RunResult, Status, Task, Trigger
from ..state import inflight
from ..views.summary import summary_fields, summary_text
from .backup_evidence import BuiltinRun
from .chain import SUCCEEDED, ChainResult, run_hooks, run_main_steps
from .keyring import (
    KeyringError,
    empty_dir,
    end_gpg_agent,
    gnupg_home,
    needs_new_chain,
    prepare_keyring,
    run_steps_of,
)
from .lock import TaskBusy, task_lock
from .processes.cancel import Cancel
from .processes.step import StepOutcome, run_step
from .progress import BackupFilter, log_reporter
from .whole_seconds import wait_past_previous_run

OUTPUT_TAIL_LINES = 50
TAIL_LINE_CHARS = 1000
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a step times out


@dataclass(frozen=True)
class RunWork:
    """What the body of a run did: its outcome, its output tail, the built-in backup's statistics."""

    outcome: ChainResult
    tail: tuple[str, ...]
    backup: BackupStats | None = None


# (the task lock's descriptor, to pass to its processes; tell the step it is in) -> what it did
RunBody = Callable[[int, Callable[[str], None]], RunWork]


def run_task(
    task: Task,
    *,
    work_dir: Path,
    state_dir: Path,
    env: Mapping[str, str],
    log: Log,
    trigger: Trigger,
    cancel: Cancel | None = None,
    observer: RunObserver | None = None,
    progress_interval: float = 0,
) -> RunResult:
    """Run `task` once and return what happened. Never raises for a failing step."""
    own_cancel = cancel is None
    run_cancel = cancel or Cancel()

    def body(lock_fd: int, at_step: Callable[[str], None]) -> RunWork:
        wait_past_previous_run(task, state_dir, run_cancel, datetime.now(UTC))
        run = _Run(task, work_dir, env, log, run_cancel, lock_fd, at_step, progress_interval, state_dir)
        outcome = run.steps()
        return RunWork(outcome, tuple(run.tail.lines), run.backup_stats())

    try:
        return run_locked(task, work_dir=work_dir, state_dir=state_dir, log=log, trigger=trigger,
                          observer=observer, body=body)  # fmt: skip
    finally:
        if own_cancel:
            run_cancel.close()


def run_locked(
    task: Task,
    *,
    work_dir: Path,
    state_dir: Path,
    log: Log,
    trigger: Trigger,
    observer: RunObserver | None,
    body: RunBody,
) -> RunResult:
    """What every run of a task goes through, a backup run or a drill: its lock (a busy task is a
    `skipped` run), a lost run found and recorded, the in-progress record, `body`, the result told.

    The result is told to the observers (recorded) while the task's lock is still held, and the
    in-progress record is cleared after that but before the lock goes: a process that takes the lock
    next never mistakes a finished run for a lost one, and a crash in between leaves a record, never none.
    """
    started = datetime.now(UTC)
    lock = contextlib.ExitStack()
    try:
        lock_fd = lock.enter_context(task_lock(work_dir / task.id))
    except TaskBusy:
        log.event("skipped: this task is already running in another process", task=task.id, level="warning")
        return _finish(task, trigger, started, ChainResult(Status.SKIPPED), (), log, observer)
    except OSError as exc:
        log.event(f"cannot lock the task's work folder: {exc}", task=task.id, level="error")
        return _finish(task, trigger, started, ChainResult(Status.FAILED, "setup", 1), (), log, observer)
    with lock:
        record_lost_run(task, state_dir, log, observer)
        tracker = _Tracker(state_dir, task.id, log)
        tracker.begin(trigger, started)
        log.event(f"run started ({trigger})", task=task.id)
        # A drill's start is told to nobody: the one observer that acts on a start is the ping monitor's
        # /start, and a drill must not open a run at the monitor that no backup ends.
        if observer is not None and not trigger.is_drill:
            observer.run_started(task)
        work = body(lock_fd, tracker.step)
        result = _finish(task, trigger, started, work.outcome, work.tail, log, observer, work.backup)
        tracker.end()
        return result


def _finish(
    task: Task,
    trigger: Trigger,
    started: datetime,
    outcome: ChainResult,
    tail: tuple[str, ...],
    log: Log,
    observer: RunObserver | None,
    backup: BackupStats | None = None,
) -> RunResult:
    """The run's result, its summary line, and the observers told."""
    result = RunResult(
        task=task.id,
        status=outcome.status,
        trigger=trigger,
        started=started,
        ended=datetime.now(UTC),
        exit_code=outcome.exit_code,
        failed_step=outcome.failed_step,
        output_tail=tail,
        backup=backup,
    )
    log.summary(result.task, summary_text(result), result.succeeded, summary_fields(result))
    if observer is not None:
        observer.run_finished(task, result)
    return result


def record_lost_run(task: Task, state_dir: Path, log: Log, observer: RunObserver | None) -> None:
    """Told while holding the task's lock: an in-progress record left there is a lost run."""
    record = inflight.read(state_dir, task.id)
    if record is None:
        return
    lost = record.lost()
    log.event(lost.output_tail[0] + f"; it started at {record.started.isoformat(timespec='seconds')}",
              task=task.id, level="error")  # fmt: skip
    if observer is not None:
        observer.run_finished(task, lost)
    inflight.clear(state_dir, task.id)


def recover_lost_runs(
    tasks: Iterable[Task], work_dir: Path, state_dir: Path, log: Log, observer: RunObserver
) -> None:
    """At the daemon's start: record the lost runs of every task that nothing runs now. A task whose
    lock is held (leftover processes of a killed run, an `exec`) is judged by its next run."""
    for task in tasks:
        with contextlib.suppress(TaskBusy, OSError), task_lock(work_dir / task.id):
            record_lost_run(task, state_dir, log, observer)


class _Tracker:
    """Keeps the run's in-progress record; a state folder that cannot take it is told once."""

    def __init__(self, state_dir: Path, task: str, log: Log) -> None:
        self.state_dir = state_dir
        self.task = task
        self.log = log
        self.record: inflight.InFlight | None = None
        self.written = False
        self.failed = False

    def begin(self, trigger: Trigger, started: datetime) -> None:
        """Kept in memory until the first step starts: a runner that dies before has run nothing."""
        self.record = inflight.InFlight.begin(self.task, trigger, started)

    def step(self, step: str) -> None:
        if self.record is not None:
            self._write(self.record.at_step(step, datetime.now(UTC)))

    def end(self) -> None:
        if self.written:
            with contextlib.suppress(OSError):
                inflight.clear(self.state_dir, self.task)

    def _write(self, record: inflight.InFlight) -> None:
        self.record = record
        try:
            inflight.write(self.state_dir, record)
            self.written = True
        except OSError as exc:
            if not self.failed:
                self.log.event(
                    f"cannot keep the run's in-progress record in {self.state_dir}: {exc}; "
                    "if this runner dies, the run will not be recorded as lost",
                    task=self.task,
                    level="warning",
                )
            self.failed = True


class OutputTail:
    """A run's lines as logged (masked), the newest kept short for history, notifications and pings."""

    def __init__(self, log: Log, task: str) -> None:
        self.log = log
        self.task = task
        self.lines: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)

    def output(self, step: str, stream: str, text: str, cut: bool = False) -> str:
        """Log a step's line and keep it; returns it masked."""
        masked = self.log.output(self.task, step, stream, text, cut=cut)
        self.lines.append(masked[:TAIL_LINE_CHARS] + " [...]" if len(masked) > TAIL_LINE_CHARS else masked)
        return masked

    def add(self, line: str) -> None:
        """A line of the runner's own (already logged, or masked)."""
        self.lines.append(line)


class _Run:
    def __init__(
        self,
        task: Task,
        work_dir: Path,
        env: Mapping[str, str],
        log: Log,
        cancel: Cancel,
        lock_fd: int,
        at_step: Callable[[str], None],
        progress_interval: float = 0,
        state_dir: Path | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.task = task
        self.work_dir = work_dir
        self.env = dict(env)
        self.base_env = env  # without what the run adds (SRC, DST, RUN_STATUS...)
        self.log = log
        self.cancel = cancel
        self.tail = OutputTail(log, task.id)
        self.lock_fd = lock_fd  # inherited by the steps: see runner.lock
        self.at_step = at_step
        # the task's steps and the built-in ones
        new_chain = needs_new_chain(task, env)
        self.commands = run_steps_of(task, work_dir, env, progress_interval, new_chain)
        self.progress_interval = progress_interval
        self.builtin = BuiltinRun(task, work_dir, env, full_load=new_chain)

    def backup_stats(self) -> BackupStats | None:
        return self.builtin.backup_stats()

    def steps(self) -> ChainResult:
        """The work folders, the main chain, then the hooks (which run after a setup failure too)."""
        try:
            outcome = self._chain()
            self.builtin.read_contents(
                state_dir=self.state_dir, log=self.log, cancel=self.cancel, lock_fd=self.lock_fd
            )
            return outcome
        finally:
            if self.task.target is not None:
                end_gpg_agent(gnupg_home(self.work_dir, self.task.id))

    def _chain(self) -> ChainResult:
        outcome = self._prepare_folders()
        if outcome.status is Status.SUCCEEDED:
            self.builtin.before_chain()
            outcome = run_main_steps(
                self.commands, self._step, self._deadline(), lambda: self.cancel.interrupted
            )
        self.env.update(
            RUN_STATUS=str(outcome.status),
            RUN_FAILED_STEP=outcome.failed_step or "",
            RUN_EXIT_CODE=str(outcome.exit_code),
        )
        # The hooks get a deadline of their own, as long as TIMEOUT: the chain's may have expired already.
        return run_hooks(self.commands, self._step, outcome, self._deadline(), self._warn)

    def _warn(self, step: str, message: str) -> None:
        self.log.event(message, task=self.task.id, step=step, level="warning")

    def _prepare_folders(self) -> ChainResult:
        src, dst = self.work_dir / self.task.id / "src", self.work_dir / self.task.id / "dst"
        try:
            empty_dir(src)
            empty_dir(dst)
            if self.task.target is not None:  # the public key only: a run cannot read old backups
                prepare_keyring(self.task, gnupg_home(self.work_dir, self.task.id), self.env, secret=False)
        except OSError as exc:
            self.log.event(f"cannot prepare the work folders: {exc}", task=self.task.id, level="error")
            return ChainResult(Status.FAILED, "setup", 1)
        except KeyringError as exc:
            message = f"cannot prepare the keyring: {exc}"
            self.log.event(message, task=self.task.id, level="error")
            self.tail.add(self.log.mask(message))
            return ChainResult(Status.FAILED, "setup", 1)
        self.env.update(SRC=str(src), DST=str(dst), TASK_ID=self.task.id)
        return SUCCEEDED

    def _deadline(self) -> float | None:
        return time.monotonic() + self.task.timeout if self.task.timeout else None

    def _step(self, step: str, deadline: float | None, stop_on_interrupt: bool) -> StepOutcome:
        reads_statistics = self.builtin.reads_statistics(step)
        progress = None
        if reads_statistics and self.progress_interval > 0:
            progress = BackupFilter(log_reporter(self.progress_interval, self.log, self.task.id, step))

        def on_line(stream: str, text: str, cut: bool = False) -> None:
            if progress is not None and stream == "stdout" and progress.feed(text):
                return  # a progress line: one log line every CONF_PROGRESS_INTERVAL instead
            if reads_statistics and stream == "stdout":
                self.builtin.statistics.feed(text)
            self.tail.output(step, stream, text, cut)

        self.at_step(step)
        command = self.commands[step]
        self.builtin.step_starts(step)
        if command.notice:
            self.log.event(command.notice, task=self.task.id, step=step, level="warning")
            self.tail.add(self.log.mask(command.notice))
        outcome = run_step(
            command.command,
            cwd=str(self.work_dir),
            env={**self.env, **command.env},
            on_line=on_line,
            cancel=self.cancel,
            deadline=deadline,
            kill_grace=KILL_GRACE,
            stop_on_interrupt=stop_on_interrupt,
            keep_fds=(self.lock_fd,),
        )
        self.builtin.step_ended(step, outcome, self._warn)
        if outcome.timed_out:
            self.log.event(
                f"timed out after {self.task.timeout:g}s; the step was stopped",
                task=self.task.id,
                step=step,
                level="error",
            )
        return outcome
