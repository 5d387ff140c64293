"""The daemon loop: sleeps until the next due time, starts runs in threads, stops cleanly on a signal."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import heartbeat
from .config import Config
from .health import default_max_age
from .heartbeat import Heartbeat, PlannedTask
from .log import Log
from .result import RunResult, Status, Trigger
from .run import RunObserver, run_task
from .step import Cancel
from .tasks import Task

# Longest uninterrupted sleep: the wall clock may be changed (NTP, suspend) while we sleep.
_MAX_SLEEP = 300.0


@dataclass
class _ActiveRun:
    thread: threading.Thread
    cancel: Cancel


def plan(config: Config, now: datetime) -> tuple[PlannedTask, ...]:
    """Each scheduled task with its first due time after `now` and its max age (default: 2x longest gap)."""
    planned = []
    for task in config.scheduled_tasks:
        assert task.schedule is not None
        max_age = task.max_age or default_max_age(task.schedule.longest_gap(now))
        first_due = task.schedule.next_after(now).astimezone(UTC)
        planned.append(PlannedTask(task.id, task.schedule.describe(), max_age, first_due))
    return tuple(planned)


class Scheduler:
    """Runs the scheduled tasks of `config` when due, each at most once at a time."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str],
        log: Log,
        observer: RunObserver | None = None,
        on_next_due: Callable[[str, datetime], None] = lambda task, due: None,
        on_beat: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.env = env
        self.log = log
        self.observer = observer
        self.on_next_due = on_next_due
        self.on_beat = on_beat
        self._lock = threading.Lock()
        self._active: dict[str, _ActiveRun] = {}
        # A signal handler may only set a flag and write to this pipe: taking a lock there can deadlock.
        self._stopping = False
        self._stop_signal: int | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._heartbeat_failing = False

    def request_stop(self, signum: int | None = None, frame: object = None) -> None:
        """Ask the loop to stop; safe to call from a signal handler."""
        if self._stop_signal is None:
            self._stop_signal = signum
        self._stopping = True
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    def _sleep(self, seconds: float | None) -> None:
        """Sleep up to `seconds` (forever when None), or until a stop is requested."""
        select.select([self._wake_r], [], [], seconds)
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 64)

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def start_heartbeat(self, planned: tuple[PlannedTask, ...]) -> Heartbeat:
        """Write the first heartbeat; OSError when the state folder is not writable (a start-up error)."""
        now = datetime.now(UTC)
        beat = Heartbeat(os.getpid(), socket.gethostname(), started=now, updated=now, tasks=planned)
        heartbeat.write(Path(self.config.state_dir), beat)
        return beat

    def _beat(self, beat: Heartbeat) -> Heartbeat:
        self.on_beat()
        beat = beat.beat(datetime.now(UTC))
        try:
            heartbeat.write(Path(self.config.state_dir), beat)
            self._heartbeat_failing = False
        except OSError as exc:
            if not self._heartbeat_failing:  # once per streak, not every 20 s
                self.log.event(f"cannot write the heartbeat: {exc}", level="error")
            self._heartbeat_failing = True
        return beat

    def run_forever(self, planned: tuple[PlannedTask, ...], beat: Heartbeat) -> None:
        """Schedule until a stop is requested, then let running tasks finish their hooks within the grace."""
        tasks = {task.id: task for task in self.config.scheduled_tasks}
        schedules = {task.id: task.schedule for task in tasks.values() if task.schedule is not None}
        # Kept in UTC: Python compares datetimes of one zone by wall time, which DST makes ambiguous.
        next_due = {entry.task: entry.first_due for entry in planned}
        for task_id, due in next_due.items():
            self.on_next_due(task_id, due)
        self.log.event(f"scheduler ready: {len(schedules)} scheduled task(s)", event="scheduler_ready")
        next_beat = time.monotonic() + heartbeat.INTERVAL
        while not self._stopping:
            if time.monotonic() >= next_beat:
                beat = self._beat(beat)
                next_beat = time.monotonic() + heartbeat.INTERVAL
            until_beat = max(0.0, next_beat - time.monotonic())
            if not next_due:
                self._sleep(until_beat)
                continue
            delay = (min(next_due.values()) - datetime.now(UTC)).total_seconds()
            if delay > 0:
                self._sleep(min(delay, until_beat, _MAX_SLEEP))
                continue
            now = datetime.now(UTC)
            for task_id, due in sorted(next_due.items(), key=lambda item: item[1]):
                if due > now:
                    continue
                self._fire(tasks[task_id], due)
                following = schedules[task_id].next_after(due)
                # Far behind (the machine slept): do not replay missed times, resume from now.
                if following <= now:
                    following = schedules[task_id].next_after(now)
                next_due[task_id] = following.astimezone(UTC)
                self.on_next_due(task_id, next_due[task_id])
        self._shutdown()
        with contextlib.suppress(OSError):
            heartbeat.write(Path(self.config.state_dir), beat.stop(datetime.now(UTC)))

    def _fire(self, task: Task, due: datetime) -> None:
        with self._lock:
            active = self._active.get(task.id)
            busy = active is not None and active.thread.is_alive()
            if not busy:
                cancel = Cancel()
                thread = threading.Thread(
                    target=self._run, args=(task, cancel), name=f"task-{task.id}", daemon=True
                )
                self._active[task.id] = _ActiveRun(thread, cancel)
                thread.start()
        if not busy:
            return
        self.log.event(
            f"skipped the run due at {due.isoformat(timespec='seconds')}: the previous run is still going",
            task=task.id,
            level="warning",
        )
        if self.observer is not None:
            # Recorded and notified on a thread of its own: the scheduling loop never waits on I/O.
            now = datetime.now(UTC)
            skipped = RunResult(task.id, Status.SKIPPED, Trigger.SCHEDULE, now, now)
            threading.Thread(target=self.observer.run_finished, args=(task, skipped), daemon=True).start()

    def _run(self, task: Task, cancel: Cancel) -> None:
        try:
            run_task(
                task,
                work_dir=Path(self.config.work_dir),
                env=self.env,
                log=self.log,
                trigger=Trigger.SCHEDULE,
                cancel=cancel,
                observer=self.observer,
            )
        except Exception as exc:  # a bug must not take the scheduler down with it
            self.log.event(f"internal error while running the task: {exc!r}", task=task.id, level="error")
        finally:
            with self._lock:
                if self._active.get(task.id, None) is not None and self._active[task.id].cancel is cancel:
                    del self._active[task.id]
            cancel.close()

    def _shutdown(self) -> None:
        if self._stop_signal is not None:
            self.log.event(f"received {signal.Signals(self._stop_signal).name}; stopping")
        grace = self.config.stop_grace
        hard_deadline = time.monotonic() + grace
        with self._lock:
            active = list(self._active.values())
        if active:
            self.log.event(f"interrupting {len(active)} running task(s); hooks may run for up to {grace:g}s")
        for run in active:
            run.cancel.interrupt(hard_deadline)
        for run in active:
            # After the hard deadline every step is killed; leave a moment to collect its output.
            run.thread.join(max(0.0, hard_deadline - time.monotonic()) + 1.5)
        self.log.event("scheduler stopped", event="scheduler_stopped")
        # The wake-up pipe stays open: a late second signal must still find it.
