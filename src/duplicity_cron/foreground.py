"""`exec` and `restore`: tasks run now, one after the other, in the foreground.

SIGTERM or SIGINT interrupts the running task; its `failed` and `finally` hooks get the stop grace.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Sequence
from pathlib import Path

from . import reaper
from .config import Config
from .environment import Environment
from .log import Log
from .report import Reporter
from .result import RunResult, Status, Trigger
from .run import run_task
from .step import Cancel
from .tasks import Task


class Interrupter:
    """In `exec` and `restore`: SIGTERM/SIGINT interrupts the current run; hooks get the stop grace."""

    def __init__(self, grace: float, log: Log, reporter: Reporter) -> None:
        self.grace = grace
        self.log = log
        self.reporter = reporter
        self.cancel: Cancel | None = None
        self.signal: int | None = None

    @property
    def stopping(self) -> bool:
        return self.signal is not None

    def __call__(self, signum: int, frame: object) -> None:
        """Only a flag and a write to the run's wake-up pipe: a handler must not log (it may interrupt
        the main thread inside a write to stdout) nor take a lock."""
        if self.signal is not None:
            return
        self.signal = signum
        if self.cancel is not None:
            self.cancel.interrupt(time.monotonic() + self.grace)

    def run(self, task: Task, config: Config, environment: Environment, trigger: Trigger) -> RunResult:
        self.cancel = Cancel()
        try:
            return run_task(
                task,
                work_dir=Path(config.work_dir),
                env=environment.values,
                log=self.log,
                trigger=trigger,
                cancel=self.cancel,
                observer=self.reporter,
            )
        finally:
            self.cancel.close()
            self.cancel = None


def run_in_order(
    tasks: Sequence[Task],
    config: Config,
    environment: Environment,
    log: Log,
    trigger: Trigger,
    stop_at_failure: bool,
) -> bool:
    """Run `tasks` in order; True if every one succeeded."""
    reaper.start_reaper_if_pid1()
    interrupter = Interrupter(config.stop_grace, log, Reporter(config, log))
    signal.signal(signal.SIGTERM, interrupter)
    signal.signal(signal.SIGINT, interrupter)
    failed: list[str] = []
    for index, task in enumerate(tasks):
        if interrupter.stopping:
            log.event(f"not started: {', '.join(t.id for t in tasks[index:])}", level="warning")
            failed.extend(t.id for t in tasks[index:])
            break
        result = interrupter.run(task, config, environment, trigger)
        if interrupter.signal is not None and result.status is Status.INTERRUPTED:
            log.event(
                f"received {signal.Signals(interrupter.signal).name}; the run was interrupted", task=task.id
            )
        if not result.succeeded:
            failed.append(task.id)
            if stop_at_failure and index + 1 < len(tasks):
                log.event(
                    f"stopping at the first failure; not run: {', '.join(t.id for t in tasks[index + 1 :])}",
                    level="error",
                )
                break
    return not failed
