"""The scheduling loop: sleeps until the next due time, fires what is due, ticks at a steady interval
(the heartbeat), and returns when a stop is requested. What firing does is the caller's.

Time comes from an injected `Clock` and due times from `model.Schedule`: the loop is unit-tested with
a fake clock and fake schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ..model import Schedule
from .clock import Clock

# Longest uninterrupted sleep: the wall clock may be changed (NTP, suspend) while we sleep.
MAX_SLEEP = 300.0


class Scheduler:
    """Fires each task when due, from `first_due` on; never replays times missed while the machine slept."""

    def __init__(
        self,
        schedules: Mapping[str, Schedule],
        first_due: Mapping[str, datetime],
        fire: Callable[[str, datetime], None],
        clock: Clock,
        *,
        tick: Callable[[], None] = lambda: None,
        tick_interval: float = 20.0,
        on_next_due: Callable[[str, datetime], None] = lambda task, due: None,
    ) -> None:
        self.schedules = schedules
        # Kept in UTC: Python compares datetimes of one zone by wall time, which DST makes ambiguous.
        self.next_due = {task: due.astimezone(UTC) for task, due in first_due.items()}
        self.fire = fire
        self.clock = clock
        self.tick = tick
        self.tick_interval = tick_interval
        self.on_next_due = on_next_due
        self.stopping = False
        for task, due in self.next_due.items():
            on_next_due(task, due)

    def request_stop(self) -> None:
        """Ask the loop to return; safe to call from a signal handler (a flag and a wake-up)."""
        self.stopping = True
        self.clock.wake()

    def run(self) -> None:
        next_tick = self.clock.monotonic() + self.tick_interval
        while not self.stopping:
            if self.clock.monotonic() >= next_tick:
                self.tick()
                next_tick = self.clock.monotonic() + self.tick_interval
            until_tick = max(0.0, next_tick - self.clock.monotonic())
            if not self.next_due:
                self.clock.sleep(until_tick)
                continue
            delay = (min(self.next_due.values()) - self.clock.now()).total_seconds()
            if delay > 0:
                self.clock.sleep(min(delay, until_tick, MAX_SLEEP))
                continue
            self._fire_due(self.clock.now())

    def _fire_due(self, now: datetime) -> None:
        for task, due in sorted(self.next_due.items(), key=lambda item: item[1]):
            if due > now:
                continue
            self.fire(task, due)
            following = self.schedules[task].next_after(due)
            # Far behind (the machine slept): do not replay missed times, resume from now.
            if following <= now:
                following = self.schedules[task].next_after(now)
            self.next_due[task] = following.astimezone(UTC)
            self.on_next_due(task, self.next_due[task])
