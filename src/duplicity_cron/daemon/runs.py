"""The daemon's runs: each due task started in a thread of its own, at most one run per task at a time
(a due time that finds it running is a skipped occurrence), all interrupted at shutdown. A task's
drills (VERIFY) are started the same way, apart from its backups; the two never overlap either: both
take the task's lock, and the one that finds it taken is `skipped`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import RunResult, Status, Task, Trigger
from ..runner.context import RunContext
from ..runner.processes.cancel import Cancel
from ..runner.task_run import run_task
from ..runner.verify_backup import verify_backup

# After the hard deadline every step is killed; leave a moment to collect its output.
_COLLECT_SECONDS = 1.5


@dataclass
class _ActiveRun:
    thread: threading.Thread
    cancel: Cancel


class DaemonRuns:
    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.log = context.log
        self._lock = threading.Lock()
        self._active: dict[str, _ActiveRun] = {}

    def start(self, task: Task, due: datetime, drill: bool = False) -> None:
        """Start a run of `task` (a drill: `verify`) in a thread, or record the occurrence as skipped if
        one is going."""
        key = f"{task.id}/verify" if drill else task.id
        with self._lock:
            active = self._active.get(key)
            busy = active is not None and active.thread.is_alive()
            if not busy:
                cancel = Cancel()
                thread = threading.Thread(
                    target=self._run, args=(task, cancel, key, drill), name=f"task-{key}", daemon=True
                )
                self._active[key] = _ActiveRun(thread, cancel)
                thread.start()
        if busy:
            self._skipped(task, due, Trigger.VERIFY if drill else Trigger.SCHEDULE)

    def _skipped(self, task: Task, due: datetime, trigger: Trigger) -> None:
        self.log.event(
            f"skipped the run due at {due.isoformat(timespec='seconds')}: the previous run is still going",
            task=task.id,
            level="warning",
        )
        # Recorded and notified on a thread of its own: the scheduling loop never waits on I/O.
        now = datetime.now(UTC)
        skipped = RunResult(task.id, Status.SKIPPED, trigger, now, now)
        if self.context.observer is not None:
            told = self.context.observer.run_finished
            threading.Thread(target=told, args=(task, skipped), daemon=True).start()

    def _run(self, task: Task, cancel: Cancel, key: str, drill: bool) -> None:
        try:
            if drill:
                verify_backup(task, self.context, cancel)
            else:
                run_task(task, self.context, Trigger.SCHEDULE, cancel)
        except Exception as exc:  # a bug must not take the scheduler down with it
            self.log.event(f"internal error while running the task: {exc!r}", task=task.id, level="error")
        finally:
            with self._lock:
                if self._active.get(key, None) is not None and self._active[key].cancel is cancel:
                    del self._active[key]
            cancel.close()

    def interrupt_all(self, grace: float) -> None:
        """Interrupt every running task and wait for them: hooks may run for up to `grace` seconds."""
        hard_deadline = time.monotonic() + grace
        with self._lock:
            active = list(self._active.values())
        if active:
            self.log.event(f"interrupting {len(active)} running task(s); hooks may run for up to {grace:g}s")
        for run in active:
            run.cancel.interrupt(hard_deadline)
        for run in active:
            run.thread.join(max(0.0, hard_deadline - time.monotonic()) + _COLLECT_SECONDS)
