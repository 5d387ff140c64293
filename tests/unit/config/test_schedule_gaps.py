"""`Schedule.longest_gap`: the longest time between consecutive due times, which sizes the default MAX_AGE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise, takewhile
from zoneinfo import ZoneInfo

import pytest

from duplicity_cron.config.schedules import CronSchedule as Schedule

# A Wednesday.
WEDNESDAY = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)
MINUTE = 60
HOUR = 3600
DAY = 86400


def crontab(expression: str) -> Schedule:
    return Schedule.from_crontab(expression)


@pytest.mark.parametrize(
    ("expression", "gap"),
    [
        ("0 * * * *", HOUR),
        ("@hourly", HOUR),
        ("*/5 * * * *", 5 * MINUTE),
        ("* * * * *", MINUTE),
        ("0 3 * * *", DAY),
        ("@daily", DAY),
        ("0 9,17 * * *", 16 * HOUR),
        ("0 0 * * 0", 7 * DAY),
        ("@weekly", 7 * DAY),
        # Monday to Friday at 03:00: Friday 03:00 to Monday 03:00 over the weekend.
        ("0 3 * * 1-5", 3 * DAY),
        # Every 5 minutes in office hours on weekdays: Friday 18:55 to Monday 08:00.
        ("*/5 8-18 * * 1-5", 2 * DAY + 13 * HOUR + 5 * MINUTE),
        ("0 0 1 * *", 31 * DAY),
        ("@monthly", 31 * DAY),
        ("0 12 1,15 * *", 17 * DAY),  # the 15th of a 31-day month to the 1st
    ],
)
def test_longest_gap(expression: str, gap: int) -> None:
    assert crontab(expression).longest_gap(WEDNESDAY) == gap


@pytest.mark.parametrize(
    ("name", "gap"),
    [("hourly", HOUR), ("daily", DAY), ("weekly", 7 * DAY), ("monthly", 31 * DAY)],
)
def test_longest_gap_of_periodicities(name: str, gap: int) -> None:
    assert Schedule.from_periodicity(name).longest_gap(WEDNESDAY) == gap


@pytest.mark.parametrize(
    ("expression", "gap"),
    [
        ("* * * * * *", 1),
        ("*/10 * * * * *", 10),
        ("30 * * * * *", MINUTE),
        ("0 0 3 * * *", DAY),
    ],
)
def test_longest_gap_with_seconds(expression: str, gap: int) -> None:
    assert crontab(expression).longest_gap(WEDNESDAY) == gap


def test_seconds_level_schedule_in_a_time_zone() -> None:
    assert Schedule.from_crontab("* * * * * *", ZoneInfo("Europe/Paris")).longest_gap(WEDNESDAY) == 1


def test_yearly_across_a_leap_year() -> None:
    # From mid-2027 the next due times are 2028-01-01 and 2029-01-01: 2028 has 366 days.
    assert crontab("@yearly").longest_gap(datetime(2027, 6, 1, tzinfo=UTC)) == 366 * DAY


def test_yearly_without_a_leap_year() -> None:
    gap = crontab("0 0 1 1 *").longest_gap(datetime(2029, 6, 1, tzinfo=UTC))
    assert 365 * DAY <= gap <= 366 * DAY


def test_yearly_from_any_start_is_about_a_year() -> None:
    gap = crontab("@yearly").longest_gap(WEDNESDAY)
    assert 365 * DAY <= gap <= 366 * DAY


def test_leap_day_schedule_waits_years() -> None:
    assert crontab("0 12 29 2 *").longest_gap(WEDNESDAY) >= 4 * 365 * DAY


def test_longest_gap_is_a_float_of_seconds() -> None:
    gap = crontab("0 3 * * 1-5").longest_gap(WEDNESDAY)
    assert isinstance(gap, float)


@pytest.mark.parametrize(
    "expression",
    ["0 3 * * 1-5", "*/5 8-18 * * 1-5", "15 2,14 * * *", "0 6 * * 1,3", "0 0 1,10,20 * *"],
)
def test_longest_gap_matches_the_due_times(expression: str) -> None:
    """Cross-check against the due times themselves over eight weeks (UTC: no DST hour)."""
    schedule = crontab(expression)
    end = WEDNESDAY + timedelta(weeks=8)
    dues = list(takewhile(lambda due: due < end, schedule.iter_after(WEDNESDAY)))
    observed = max((b - a).total_seconds() for a, b in pairwise(dues))
    assert schedule.longest_gap(WEDNESDAY) == observed
