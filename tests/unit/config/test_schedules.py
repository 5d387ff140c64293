"""Schedules: cron expressions, seconds field, macros, periodicities, time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest

from duplicity_cron.config.schedules import CronSchedule as Schedule
from duplicity_cron.config.schedules import ScheduleError, parse_timezone

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday, in the middle of nowhere special.
WEDNESDAY = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def due_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every due time in (start, end), as UTC datetimes."""
    return [due.astimezone(UTC) for due in takewhile(lambda d: d < end, schedule.iter_after(start))]


def first(schedule: Schedule, start: datetime, count: int) -> list[datetime]:
    return [due.astimezone(UTC) for due in islice(schedule.iter_after(start), count)]


# --- plain expressions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * *", utc(2026, 5, 13, 10, 21)),
        ("0 * * * *", utc(2026, 5, 13, 11)),
        ("30 4 * * *", utc(2026, 5, 14, 4, 30)),
        ("*/15 9-17 * * 1-5", utc(2026, 5, 13, 10, 30)),
        ("0 0 * * 0", utc(2026, 5, 17)),
        ("0 0 1 * *", utc(2026, 6, 1)),
        ("0 12 29 2 *", utc(2028, 2, 29, 12)),
    ],
)
def test_five_field_expressions(expression: str, expected: datetime) -> None:
    assert Schedule.from_crontab(expression).next_after(WEDNESDAY) == expected


def test_next_after_is_strictly_after() -> None:
    schedule = Schedule.from_crontab("0 * * * *")
    assert schedule.next_after(utc(2026, 5, 13, 11)) == utc(2026, 5, 13, 12)


def test_due_times_are_aware_and_in_the_schedule_zone() -> None:
    due = Schedule.from_crontab("0 9 * * *", PARIS).next_after(WEDNESDAY)
    assert due.tzinfo is not None
    assert due.utcoffset() == timedelta(hours=2)
    assert (due.hour, due.minute) == (9, 0)


def test_extra_whitespace_is_accepted() -> None:
    assert Schedule.from_crontab("  0   4 * *\t* ").next_after(WEDNESDAY) == utc(2026, 5, 14, 4)


@pytest.mark.parametrize("expression", ["61 * * * *", "* * *", "* * * * * * *", "x * * * *", "@often", ""])
def test_invalid_expressions_raise(expression: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule.from_crontab(expression)


# --- seconds field ------------------------------------------------------------------------------


def test_six_fields_have_seconds_first() -> None:
    # Read minutes-first, "30 0 12 * * *" would be 00:30 on the 12th of the month.
    schedule = Schedule.from_crontab("30 0 12 * * *")
    assert schedule.has_seconds
    assert schedule.next_after(WEDNESDAY) == utc(2026, 5, 13, 12, 0, 30)


def test_every_twenty_seconds() -> None:
    schedule = Schedule.from_crontab("*/20 * * * * *")
    assert first(schedule, utc(2026, 1, 1), 4) == [
        utc(2026, 1, 1, 0, 0, 20),
        utc(2026, 1, 1, 0, 0, 40),
        utc(2026, 1, 1, 0, 1, 0),
        utc(2026, 1, 1, 0, 1, 20),
    ]


def test_every_second() -> None:
    schedule = Schedule.from_crontab("* * * * * *")
    expected = [utc(2026, 1, 1, 0, 1, 0), utc(2026, 1, 1, 0, 1, 1)]
    assert first(schedule, utc(2026, 1, 1, 0, 0, 59), 2) == expected


def test_fixed_second_of_every_minute() -> None:
    schedule = Schedule.from_crontab("5 * * * * *")
    expected = [utc(2026, 1, 1, 0, 1, 5), utc(2026, 1, 1, 0, 2, 5)]
    assert first(schedule, utc(2026, 1, 1, 0, 0, 5), 2) == expected


def test_five_fields_have_no_seconds() -> None:
    assert not Schedule.from_crontab("* * * * *").has_seconds


def test_invalid_seconds_field() -> None:
    with pytest.raises(ScheduleError):
        Schedule.from_crontab("60 * * * * *")


# --- macros -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("macro", "expression", "expected"),
    [
        ("@hourly", "0 * * * *", utc(2026, 5, 13, 11)),
        ("@daily", "0 0 * * *", utc(2026, 5, 14)),
        ("@weekly", "0 0 * * 0", utc(2026, 5, 17)),
        ("@monthly", "0 0 1 * *", utc(2026, 6, 1)),
        ("@yearly", "0 0 1 1 *", utc(2027, 1, 1)),
    ],
)
def test_macros(macro: str, expression: str, expected: datetime) -> None:
    schedule = Schedule.from_crontab(macro)
    assert schedule.expression == expression
    assert schedule.next_after(WEDNESDAY) == expected
    assert macro in schedule.describe()


def test_macros_are_case_insensitive() -> None:
    assert Schedule.from_crontab("@DAILY").expression == "0 0 * * *"


def test_unknown_macro_lists_known_ones() -> None:
    with pytest.raises(ScheduleError, match="@often") as info:
        Schedule.from_crontab("@often")
    assert "@daily" in str(info.value)


# --- periodicities (the original's times) -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expression", "expected"),
    [
        ("hourly", "0 * * * *", utc(2026, 5, 13, 11, 0)),
        ("daily", "10 1 * * *", utc(2026, 5, 14, 1, 10)),
        ("weekly", "20 2 * * 0", utc(2026, 5, 17, 2, 20)),  # Sunday
        ("monthly", "30 3 1 * *", utc(2026, 6, 1, 3, 30)),
    ],
)
def test_periodicities_keep_the_original_times(name: str, expression: str, expected: datetime) -> None:
    schedule = Schedule.from_periodicity(name)
    assert schedule.expression == expression
    assert schedule.next_after(WEDNESDAY) == expected
    assert Schedule.from_periodicity(name.upper()).expression == expression


def test_weekly_is_sunday_like_the_original_7() -> None:
    ours = first(Schedule.from_periodicity("weekly"), WEDNESDAY, 5)
    original = first(Schedule.from_crontab("20 2 * * 7"), WEDNESDAY, 5)
    assert ours == original
    assert all(due.weekday() == 6 for due in ours)


@pytest.mark.parametrize("name", ["yearly", "minutely", "every day", ""])
def test_unknown_periodicity(name: str) -> None:
    with pytest.raises(ScheduleError) as info:
        Schedule.from_periodicity(name)
    assert repr(name) in str(info.value)


def test_periodicity_in_a_time_zone() -> None:
    schedule = Schedule.from_periodicity("daily", PARIS)
    assert schedule.next_after(WEDNESDAY) == utc(2026, 5, 13, 23, 10)  # 01:10 CEST


# --- time zones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        (UTC, utc(2026, 1, 15, 9), utc(2026, 7, 15, 9)),
        (PARIS, utc(2026, 1, 15, 8), utc(2026, 7, 15, 7)),
        (NEW_YORK, utc(2026, 1, 15, 14), utc(2026, 7, 15, 13)),
        (ZoneInfo("Asia/Kolkata"), utc(2026, 1, 15, 3, 30), utc(2026, 7, 15, 3, 30)),
    ],
)
def test_schedule_is_evaluated_in_its_zone(zone, winter: datetime, summer: datetime) -> None:
    schedule = Schedule.from_crontab("0 9 * * *", zone)
    assert schedule.next_after(utc(2026, 1, 15)) == winter
    assert schedule.next_after(utc(2026, 7, 15)) == summer


def test_start_given_in_another_zone() -> None:
    schedule = Schedule.from_crontab("0 9 * * *", PARIS)
    start = datetime(2026, 1, 15, 3, 0, tzinfo=NEW_YORK)  # 09:00 in Paris
    assert schedule.next_after(start) == utc(2026, 1, 16, 8)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Europe/Paris", PARIS), ("America/New_York", NEW_YORK), ("UTC", UTC), ("Etc/UTC", UTC)],
)
def test_parse_timezone(name: str, expected) -> None:
    zone = parse_timezone(name)
    moment = datetime(2026, 7, 1, 12)
    assert zone.utcoffset(moment) == expected.utcoffset(moment)


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Pariss", "not a zone"])
def test_parse_timezone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_timezone(name)
    assert name in str(info.value)


# --- DST, Debian cron semantics (Europe/Paris: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00) ---

SPRING_DAY = (datetime(2026, 3, 29, tzinfo=PARIS), datetime(2026, 3, 30, tzinfo=PARIS))
AUTUMN_DAY = (datetime(2026, 10, 25, tzinfo=PARIS), datetime(2026, 10, 26, tzinfo=PARIS))


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_spring_time_in_skipped_hour_fires_once_right_after_the_jump(minute: int) -> None:
    schedule = Schedule.from_crontab(f"{minute} 2 * * *", PARIS)
    assert due_between(schedule, *SPRING_DAY) == [utc(2026, 3, 29, 1)]  # 03:00 CEST
    # and the day after, it is back at its wall time
    assert schedule.next_after(SPRING_DAY[1]) == datetime(2026, 3, 30, 2, minute, tzinfo=PARIS)


def test_spring_time_after_the_skipped_hour_is_unaffected() -> None:
    schedule = Schedule.from_crontab("30 3 * * *", PARIS)
    assert due_between(schedule, *SPRING_DAY) == [utc(2026, 3, 29, 1, 30)]  # 03:30 CEST


def test_spring_weekly_periodicity_in_skipped_hour() -> None:
    schedule = Schedule.from_periodicity("weekly", PARIS)  # Sunday 02:20; 2026-03-29 is a Sunday
    assert due_between(schedule, *SPRING_DAY) == [utc(2026, 3, 29, 1)]


def test_autumn_time_in_repeated_hour_fires_once() -> None:
    schedule = Schedule.from_crontab("30 2 * * *", PARIS)
    assert due_between(schedule, *AUTUMN_DAY) == [utc(2026, 10, 25, 0, 30)]  # 02:30 CEST, first pass


@pytest.mark.parametrize(
    "start",
    [
        utc(2026, 10, 25, 0, 30),  # the first 02:30 itself (the scheduler asks for the next after it)
        utc(2026, 10, 25, 0, 45),  # 02:45 CEST, first pass
        utc(2026, 10, 25, 1, 15),  # 02:15 CET, second pass
    ],
)
def test_autumn_repeated_hour_does_not_fire_again(start: datetime) -> None:
    schedule = Schedule.from_crontab("30 2 * * *", PARIS)
    assert schedule.next_after(start) == utc(2026, 10, 26, 1, 30)  # 02:30 CET the next day


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (utc(2026, 3, 28, 22, 30), 6),  # across the spring jump
        (utc(2026, 10, 24, 22, 30), 6),  # across the repeated hour
    ],
)
def test_hourly_fires_by_real_time(start: datetime, hours: int) -> None:
    schedule = Schedule.from_crontab("0 * * * *", PARIS)
    expected = [utc(start.year, start.month, start.day, 23) + timedelta(hours=i) for i in range(hours)]
    assert first(schedule, start, hours) == expected


def test_wildcard_minutes_fire_through_the_repeated_hour() -> None:
    schedule = Schedule.from_crontab("*/15 * * * *", PARIS)
    got = due_between(schedule, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 1))
    assert got == [utc(2026, 10, 25, 0, 0) + timedelta(minutes=15 * i) for i in range(1, 9)]


def test_hourly_periodicity_fires_by_real_time_in_spring() -> None:
    schedule = Schedule.from_periodicity("hourly", PARIS)
    # 23 real hours in the short day, from midnight included
    assert len(due_between(schedule, SPRING_DAY[0] - timedelta(seconds=1), SPRING_DAY[1])) == 23


def test_hourly_periodicity_fires_by_real_time_in_autumn() -> None:
    schedule = Schedule.from_periodicity("hourly", PARIS)
    # 25 real hours in the long day, from midnight included: 02:00 fires twice
    assert len(due_between(schedule, AUTUMN_DAY[0] - timedelta(seconds=1), AUTUMN_DAY[1])) == 25


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (SPRING_DAY, [utc(2026, 3, 29, 1)]),  # once, right after the jump
        (AUTUMN_DAY, [utc(2026, 10, 25, 0, 30)]),  # once
    ],
    ids=["spring", "autumn"],
)
def test_seconds_field_fixed_time_follows_dst_rules_too(day, expected: list[datetime]) -> None:
    schedule = Schedule.from_crontab("0 30 2 * * *", PARIS)
    assert due_between(schedule, *day) == expected


def test_other_fixed_offset_zone_has_no_dst_surprises() -> None:
    zone = timezone(timedelta(hours=5, minutes=30))
    schedule = Schedule.from_crontab("30 2 * * *", zone)
    assert due_between(schedule, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)) == [utc(2026, 3, 28, 21)]


@pytest.mark.parametrize(
    ("expression", "runs"),
    [("0 * * * *", 25), ("*/15 * * * *", 100), ("30 2 * * *", 1), ("0 30 2 * * *", 1), ("0 0 * * * *", 25)],
)
def test_chaining_next_after_through_the_repeated_hour_keeps_both_passes(expression: str, runs: int) -> None:
    """The scheduler asks for the next time after the previous due time, given in the schedule's zone.

    Datetimes of one zone compare by wall time, ignoring fold: chaining must not lose the second pass.
    """
    schedule = Schedule.from_crontab(expression, PARIS)
    # The local day of 2026-10-25 in Paris: 25 hours long, from 00:00+02:00 to 24:00+01:00.
    start, end = datetime(2026, 10, 24, 21, 59, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    seen, due = [], schedule.next_after(start)
    while due.astimezone(UTC) < end:
        seen.append(due.astimezone(UTC))
        due = schedule.next_after(due)
    assert len(seen) == runs
    assert seen == sorted(set(seen))
