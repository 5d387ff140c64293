"""The scheduling loop with a fake clock and fake schedules: what fires when, ticks, catching up after
a sleep, stopping."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from duplicity_cron.daemon.scheduler import MAX_SLEEP, Scheduler
from duplicity_cron.model import Schedule

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class EverySeconds:
    """A fake schedule: due every `period` seconds from START."""

    def __init__(self, period: float) -> None:
        self.period = period

    @property
    def timezone(self) -> tzinfo:
        return UTC

    def next_after(self, moment: datetime) -> datetime:
        elapsed = (moment - START).total_seconds()
        steps = int(elapsed // self.period) + 1
        return START + timedelta(seconds=steps * self.period)

    def iter_after(self, moment: datetime) -> Iterator[datetime]:
        while True:
            moment = self.next_after(moment)
            yield moment

    def longest_gap(self, start: datetime) -> float:
        return self.period

    def describe(self) -> str:
        return f"every {self.period:g}s"


class FakeClock:
    """Time passes only in `sleep`; the test ends the loop through `stop_at` (a time) or a callback."""

    def __init__(self) -> None:
        self.wall = START
        self.mono = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = lambda clock: None
        self.woken = 0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        self.on_sleep(self)

    def wake(self) -> None:
        self.woken += 1

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def make(
    schedules: dict[str, Schedule], clock: FakeClock, until: datetime, tick_interval: float = 20.0
) -> tuple[Scheduler, list[tuple[str, datetime, datetime]], list[datetime], list[tuple[str, datetime]]]:
    fired: list[tuple[str, datetime, datetime]] = []
    ticks: list[datetime] = []
    next_due: list[tuple[str, datetime]] = []
    first = {task: schedule.next_after(clock.now()) for task, schedule in schedules.items()}
    scheduler = Scheduler(
        schedules,
        first,
        lambda task, due: fired.append((task, due, clock.now())),
        clock,
        tick=lambda: ticks.append(clock.now()),
        tick_interval=tick_interval,
        on_next_due=lambda task, due: next_due.append((task, due)),
    )

    def stop_when_done(c: FakeClock) -> None:
        if c.now() > until:
            scheduler.request_stop()

    clock.on_sleep = stop_when_done
    return scheduler, fired, ticks, next_due


def test_fires_each_task_at_each_due_time_and_not_before() -> None:
    clock = FakeClock()
    scheduler, fired, _, _ = make(
        {"a": EverySeconds(10), "b": EverySeconds(25)}, clock, START + timedelta(seconds=60)
    )
    scheduler.run()
    assert [(task, (due - START).total_seconds()) for task, due, _ in fired] == [
        ("a", 10), ("a", 20), ("b", 25), ("a", 30), ("a", 40), ("a", 50), ("b", 50), ("a", 60),
    ]  # fmt: skip
    assert all(when >= due for _, due, when in fired)
    assert all(when - due < timedelta(seconds=1) for _, due, when in fired)


def test_sleeps_until_the_next_due_time_without_polling() -> None:
    clock = FakeClock()
    scheduler, _, _, _ = make(
        {"a": EverySeconds(15)}, clock, START + timedelta(seconds=45), tick_interval=1000
    )
    scheduler.run()
    assert clock.sleeps == [15.0, 15.0, 15.0, 15.0]  # the last one ends past `until`


def test_a_long_gap_is_slept_in_bounded_pieces() -> None:
    """The wall clock may be changed while we sleep: no sleep is longer than MAX_SLEEP."""
    clock = FakeClock()
    scheduler, fired, _, _ = make({"daily": EverySeconds(86400)}, clock, START + timedelta(days=1), 10**9)
    scheduler.run()
    assert max(clock.sleeps) <= MAX_SLEEP
    assert [due for _, due, _ in fired] == [START + timedelta(days=1)]


def test_ticks_at_a_steady_interval_between_runs() -> None:
    clock = FakeClock()
    scheduler, _, ticks, _ = make(
        {"a": EverySeconds(7)}, clock, START + timedelta(seconds=100), tick_interval=20
    )
    scheduler.run()
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(ticks)]
    assert len(ticks) == 5 and all(20 <= gap < 21 for gap in gaps), ticks


def test_ticks_with_no_scheduled_task() -> None:
    clock = FakeClock()
    scheduler, fired, ticks, _ = make({}, clock, START + timedelta(seconds=60), tick_interval=20)
    scheduler.run()
    assert fired == [] and len(ticks) == 3
    assert clock.sleeps == [20.0, 20.0, 20.0, 20.0]


def test_missed_times_are_not_replayed_after_the_machine_slept() -> None:
    clock = FakeClock()
    scheduler, fired, _, _ = make({"a": EverySeconds(10)}, clock, START + timedelta(seconds=200))

    def suspend_once(c: FakeClock) -> None:
        if c.now() == START + timedelta(seconds=10):
            c.advance(95)  # the machine slept from 10 s to 105 s
        if c.now() > START + timedelta(seconds=120):
            scheduler.request_stop()

    clock.on_sleep = suspend_once
    scheduler.run()
    dues = [(due - START).total_seconds() for _, due, _ in fired]
    # the time due at 10 s fires once when we wake, then the schedule resumes after now (110 s)
    assert dues == [10, 110, 120]


def test_next_due_times_are_reported_first_and_after_each_firing() -> None:
    clock = FakeClock()
    scheduler, _, _, next_due = make({"a": EverySeconds(30)}, clock, START + timedelta(seconds=60))
    assert next_due == [("a", START + timedelta(seconds=30))]  # at construction, before the loop
    scheduler.run()
    assert [(due - START).total_seconds() for _, due in next_due] == [30, 60, 90]


def test_a_stop_request_wakes_the_clock_and_ends_the_loop_before_anything_fires() -> None:
    clock = FakeClock()
    scheduler, fired, _, _ = make({"a": EverySeconds(10)}, clock, START + timedelta(days=1))
    scheduler.request_stop()
    assert clock.woken == 1
    scheduler.run()
    assert fired == [] and clock.sleeps == []


def test_due_times_are_compared_as_instants_across_zones() -> None:
    """First due times given in another zone are kept in UTC."""
    from zoneinfo import ZoneInfo

    clock = FakeClock()
    schedule = EverySeconds(10)
    paris_due = schedule.next_after(START).astimezone(ZoneInfo("Europe/Paris"))
    scheduler = Scheduler({"a": schedule}, {"a": paris_due}, lambda task, due: None, clock)
    assert scheduler.next_due["a"].tzinfo is UTC and scheduler.next_due["a"] == paris_due
