"""Tasks run now, one after the other, in the foreground (`exec` and `restore`).

SIGTERM or SIGINT interrupts the running task; its `failed` and `finally` hooks get the stop grace.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator, Sequence
from types import FrameType

from ..model import Status, Task, Trigger
from .context import RunContext
from .processes import reaper
from .processes.cancel import Cancel, on_stop_signals
from .task_run import run_task


class Interrupter:
    """SIGTERM/SIGINT interrupts the current run; its hooks get the stop grace."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.cancel: Cancel | None = None
        self.signal: int | None = None

    @property
    def stopping(self) -> bool:
        return self.signal is not None

    @contextlib.contextmanager
    def running(self) -> Iterator[Cancel]:
        """A cancel for the run about to start, which SIGTERM/SIGINT interrupt until it ends."""
        self.cancel = Cancel()
        try:
            yield self.cancel
        finally:
            self.cancel.close()
            self.cancel = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """Only a flag and a write to the run's wake-up pipe (see `cancel.on_stop_signals`)."""
        if self.signal is not None:
            return
        self.signal = signum
        if self.cancel is not None:
            self.cancel.interrupt(time.monotonic() + self.grace)


def run_in_order(tasks: Sequence[Task], context: RunContext, trigger: Trigger, stop_at_failure: bool) -> bool:
    """Run `tasks` in order; True if every one succeeded."""
    reaper.start_reaper_if_pid1()
    interrupter = Interrupter(context.stop_grace)
    on_stop_signals(interrupter)
    log = context.log
    failed: list[str] = []
    for index, task in enumerate(tasks):
        if interrupter.stopping:
            log.event(f"not started: {', '.join(t.id for t in tasks[index:])}", level="warning")
            failed.extend(t.id for t in tasks[index:])
            break
        with interrupter.running() as cancel:
            result = run_task(task, context, trigger, cancel)
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
