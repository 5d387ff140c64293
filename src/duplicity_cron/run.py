"""One run of a task: lock, work folders, then prepare → extract → transform → load → succeed,
failed, finally.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .log import Log
from .result import RunResult, Status, Trigger
from .step import Cancel, StepOutcome, run_step
from .tasks import HOOK_STEPS, MAIN_STEPS, Task

OUTPUT_TAIL_LINES = 50
TAIL_LINE_CHARS = 1000
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a step times out
LOCK_FILE = ".lock"


class RunObserver(Protocol):
    """Told when a run starts (inside its lock) and when it ends: history, metrics, notifications."""

    def run_started(self, task: Task) -> None: ...

    def run_finished(self, task: Task, result: RunResult) -> None: ...


class TaskBusy(Exception):
    """Another process is running this task (its work folders are in use)."""


def empty_dir(path: Path) -> None:
    """Make `path` an empty folder. Its content goes, the folder itself stays (it may be a mount point)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


@contextlib.contextmanager
def task_lock(task_dir: Path) -> Iterator[None]:
    """Hold `<work>/<id>/.lock` for a run: two runs of a task would empty each other's SRC and DST.

    The daemon and an `exec` of the same task may be different processes, hence a file lock; the
    kernel releases it when the holder dies, so a crash leaves no stale lock.
    """
    task_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(task_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TaskBusy from None
        yield
    finally:
        os.close(fd)


def run_task(
    task: Task,
    *,
    work_dir: Path,
    env: Mapping[str, str],
    log: Log,
    trigger: Trigger,
    cancel: Cancel | None = None,
    observer: RunObserver | None = None,
) -> RunResult:
    """Run `task` once and return what happened. Never raises for a failing step."""
    started = datetime.now(UTC)
    own_cancel = cancel is None
    run = _Run(task, work_dir, env, log, cancel or Cancel())
    try:
        with task_lock(work_dir / task.id):
            log.event(f"run started ({trigger})", task=task.id)
            if observer is not None:
                observer.run_started(task)
            status, failed_step, exit_code = run.steps()
    except TaskBusy:
        log.event("skipped: this task is already running in another process", task=task.id, level="warning")
        status, failed_step, exit_code = Status.SKIPPED, None, 0
    except OSError as exc:
        log.event(f"cannot lock the task's work folder: {exc}", task=task.id, level="error")
        status, failed_step, exit_code = Status.FAILED, "setup", 1
    finally:
        if own_cancel:
            run.cancel.close()
    result = RunResult(
        task=task.id,
        status=status,
        trigger=trigger,
        started=started,
        ended=datetime.now(UTC),
        exit_code=exit_code,
        failed_step=failed_step,
        output_tail=tuple(run.tail),
    )
    log.summary(result)
    if observer is not None:
        observer.run_finished(task, result)
    return result


class _Run:
    def __init__(self, task: Task, work_dir: Path, env: Mapping[str, str], log: Log, cancel: Cancel) -> None:
        self.task = task
        self.work_dir = work_dir
        self.env = dict(env)
        self.log = log
        self.cancel = cancel
        self.tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)

    def steps(self) -> tuple[Status, str | None, int]:
        """The main chain, then the hooks; returns (status, failing step, exit code)."""
        status, failed_step, exit_code = self._prepare_folders()
        if status is Status.SUCCEEDED:
            status, failed_step, exit_code = self._main_chain()
        self.env.update(
            RUN_STATUS=str(status), RUN_FAILED_STEP=failed_step or "", RUN_EXIT_CODE=str(exit_code)
        )
        # The hooks get a deadline of their own, as long as TIMEOUT: the chain's may have expired already.
        deadline = self._deadline()
        for hook in HOOK_STEPS:
            if hook not in self.task.steps or (hook == "failed" and status is Status.SUCCEEDED):
                continue
            outcome = self._step(hook, deadline, stop_on_interrupt=False)
            if outcome.exit_code != 0 or outcome.timed_out:
                self.log.event(
                    f"{hook} exited with code {outcome.exit_code}",
                    task=self.task.id,
                    step=hook,
                    level="warning",
                )
                if status is Status.SUCCEEDED:
                    status = Status.TIMED_OUT if outcome.timed_out else Status.FAILED
                    failed_step, exit_code = hook, outcome.exit_code or 143
        return status, failed_step, exit_code

    def _prepare_folders(self) -> tuple[Status, str | None, int]:
        src, dst = self.work_dir / self.task.id / "src", self.work_dir / self.task.id / "dst"
        try:
            empty_dir(src)
            empty_dir(dst)
        except OSError as exc:
            self.log.event(f"cannot prepare the work folders: {exc}", task=self.task.id, level="error")
            return Status.FAILED, "setup", 1
        self.env.update(SRC=str(src), DST=str(dst), TASK_ID=self.task.id)
        return Status.SUCCEEDED, None, 0

    def _main_chain(self) -> tuple[Status, str | None, int]:
        deadline = self._deadline()
        for step in MAIN_STEPS:
            if step not in self.task.steps:
                continue
            if self.cancel.interrupted:
                return Status.INTERRUPTED, None, 143
            outcome = self._step(step, deadline, stop_on_interrupt=True)
            # A step stopped by the timeout or a shutdown did not finish its work, even if it
            # handled SIGTERM and exited 0: a backup cut short is not a success.
            exit_code = outcome.exit_code or 143
            if outcome.timed_out:
                return Status.TIMED_OUT, step, exit_code
            if outcome.interrupted:
                return Status.INTERRUPTED, step, exit_code
            if outcome.exit_code != 0:
                return Status.FAILED, step, outcome.exit_code
        return Status.SUCCEEDED, None, 0

    def _deadline(self) -> float | None:
        return time.monotonic() + self.task.timeout if self.task.timeout else None

    def _step(self, step: str, deadline: float | None, *, stop_on_interrupt: bool) -> StepOutcome:
        def on_line(stream: str, text: str, cut: bool = False) -> None:
            masked = self.log.output(self.task.id, step, stream, text, cut=cut)
            # The tail travels in history files, notifications and ping bodies: keep its lines short.
            if len(masked) > TAIL_LINE_CHARS:
                masked = masked[:TAIL_LINE_CHARS] + " [...]"
            self.tail.append(masked)

        outcome = run_step(
            self.task.steps[step],
            cwd=str(self.work_dir),
            env=self.env,
            on_line=on_line,
            cancel=self.cancel,
            deadline=deadline,
            kill_grace=KILL_GRACE,
            stop_on_interrupt=stop_on_interrupt,
        )
        if outcome.timed_out:
            self.log.event(
                f"timed out after {self.task.timeout:g}s; the step was stopped",
                task=self.task.id,
                step=step,
                level="error",
            )
        return outcome
