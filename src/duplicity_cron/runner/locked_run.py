"""What every run of a task goes through, a backup run or a drill: the task's lock (a busy task is a
`skipped` run), a lost run found and recorded, the in-progress record, the run's body, its result
told to the observers (history, metrics, notifications, pings).

A run in progress is kept in `state.inflight`, so that one whose runner died is recorded as lost by
the next process that takes the task's lock.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..log import Log
from ..model import BackupStats, RunResult, Status, Task, Trigger
from ..state import inflight
from ..views.summary import summary_fields, summary_text
from .chain import ChainResult
from .context import LockedRun, RunContext
from .lock import TaskBusy, task_lock
from .processes.cancel import Cancel

OUTPUT_TAIL_LINES = 50
TAIL_LINE_CHARS = 1000


@dataclass(frozen=True)
class RunWork:
    """What the body of a run did: its outcome, its output tail, the built-in backup's statistics."""

    outcome: ChainResult
    tail: tuple[str, ...]
    backup: BackupStats | None = None
    recovery_seconds: float | None = None  # a drill's: how long the data took to come back
    target_bytes: int | None = None  # what the target holds after it, when every set's size is known


# The run inside its lock -> what it did
RunBody = Callable[[LockedRun], RunWork]


def run_locked(task: Task, context: RunContext, trigger: Trigger, cancel: Cancel, body: RunBody) -> RunResult:
    """Run `body` as a run of `task` under its lock, and return the run's result.

    The result is told to the observers (recorded) while the task's lock is still held, and the
    in-progress record is cleared after that but before the lock goes: a process that takes the lock
    next never mistakes a finished run for a lost one, and a crash in between leaves a record, never none.
    """
    started = datetime.now(UTC)
    log = context.log
    lock = contextlib.ExitStack()
    try:
        lock_fd = lock.enter_context(task_lock(context.task_folder(task.id)))
    except TaskBusy:
        log.event("skipped: this task is already running in another process", task=task.id, level="warning")
        return _finish(task, context, trigger, started, RunWork(ChainResult(Status.SKIPPED), ()))
    except OSError as exc:
        log.event(f"cannot lock the task's work folder: {exc}", task=task.id, level="error")
        return _finish(task, context, trigger, started, RunWork(ChainResult(Status.FAILED, "setup", 1), ()))
    with lock:
        record_lost_run(task, context)
        tracker = _Tracker(context, task.id)
        tracker.begin(trigger, started)
        log.event(f"run started ({trigger})", task=task.id)
        # A drill's start is told to nobody: the one observer that acts on a start is the ping monitor's
        # /start, and a drill must not open a run at the monitor that no backup ends.
        if context.observer is not None and not trigger.is_drill:
            context.observer.run_started(task)
        work = body(LockedRun(task, context, cancel, lock_fd, tracker.step))
        result = _finish(task, context, trigger, started, work)
        tracker.end()
        return result


def _finish(task: Task, context: RunContext, trigger: Trigger, started: datetime, work: RunWork) -> RunResult:
    """The run's result, its summary line, and the observers told."""
    result = RunResult(
        task=task.id,
        status=work.outcome.status,
        trigger=trigger,
        started=started,
        ended=datetime.now(UTC),
        exit_code=work.outcome.exit_code,
        failed_step=work.outcome.failed_step,
        output_tail=work.tail,
        backup=work.backup,
        recovery_seconds=work.recovery_seconds,
        target_bytes=work.target_bytes,
    )
    context.log.summary(result.task, summary_text(result), result.succeeded, summary_fields(result))
    if context.observer is not None:
        context.observer.run_finished(task, result)
    return result


def record_lost_run(task: Task, context: RunContext) -> None:
    """Told while holding the task's lock: an in-progress record left there is a lost run."""
    record = inflight.read(context.state_dir, task.id)
    if record is None:
        return
    lost = record.lost()
    context.log.event(lost.output_tail[0] + f"; it started at {record.started.isoformat(timespec='seconds')}",
                      task=task.id, level="error")  # fmt: skip
    if context.observer is not None:
        context.observer.run_finished(task, lost)
    inflight.clear(context.state_dir, task.id)


def recover_lost_runs(tasks: Iterable[Task], context: RunContext) -> None:
    """At the daemon's start: record the lost runs of every task that nothing runs now. A task whose
    lock is held (leftover processes of a killed run, an `exec`) is judged by its next run."""
    for task in tasks:
        with contextlib.suppress(TaskBusy, OSError), task_lock(context.task_folder(task.id)):
            record_lost_run(task, context)


class _Tracker:
    """Keeps the run's in-progress record; a state folder that cannot take it is told once."""

    def __init__(self, context: RunContext, task: str) -> None:
        self.state_dir = context.state_dir
        self.task = task
        self.log = context.log
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
