"""What a cron expression that cannot be used is told, and the warning for a seconds field that fires
every few seconds (most likely added by mistake)."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError
from duplicity_cron.config.schedules import CronSchedule, ScheduleError, seconds_warning
from duplicity_cron.config.settings import parse_config

USAGE = "expected * or numbers in {}, as one (5), a range (1-5), a list (1,3) or a step (*/15)"


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("0 0 32 * *", "day of month 32 is out of range 1-31"),
        ("0 0 1-40 * *", "day of month 40 is out of range 1-31"),
        ("0 0 * 13 *", "month 13 is out of range 1-12 (or JAN-DEC)"),
        ("0 0 * * 8", "weekday 8 is out of range 0-7 (0 and 7: Sunday; or SUN-SAT)"),
        ("70 0 * * * *", "second 70 is out of range 0-59"),
        ("0 0 30 2 *", "day of month 30 never occurs in the month(s) of the month field"),
        ("5-1 * * * *", "minute range 5-1 runs backwards; write 1-5"),
        ("*/0 * * * *", "minute field '*/0': a step (/N) must be 1 or more"),
        ("x * * * *", "minute field 'x' is not valid: " + USAGE.format("0-59")),
        (
            "0 0 * * MON-FRX",
            "weekday field 'MON-FRX' is not valid: " + USAGE.format("0-7 (0 and 7: Sunday; or SUN-SAT)"),
        ),
    ],
)
def test_a_bad_field_is_named_with_its_range(expression, why):
    with pytest.raises(ScheduleError) as raised:
        CronSchedule.from_crontab(expression)
    assert str(raised.value) == f"{expression!r} is not a valid cron expression: {why}"


@pytest.mark.parametrize(
    ("expression", "warning"),
    [
        (
            "*/5 * * * * *",
            "fires every 5 seconds: a 6-field expression starts with seconds; for every 5 minutes write "
            "*/5 * * * *",
        ),
        (
            "* * * * * *",
            "fires every second: a 6-field expression starts with seconds; for every minute write * * * * *",
        ),
        (
            "0,10,50 * * * * *",
            "fires 3 times a minute: a 6-field expression starts with seconds; for minutes write "
            "0,10,50 * * * *",
        ),
        (
            "*/5 2 * * * *",
            "fires every 5 seconds of the minutes it matches: a 6-field expression starts with seconds; "
            "for minutes write */5 2 * * *",
        ),
    ],
)
def test_a_seconds_field_that_fires_often_is_warned(expression, warning):
    assert seconds_warning(CronSchedule.from_crontab(expression)) == warning


@pytest.mark.parametrize("expression", ["0 */5 * * * *", "30 0 2 * * *", "*/5 * * * *", "@daily"])
def test_a_fixed_second_or_five_fields_is_not_warned(expression):
    assert seconds_warning(CronSchedule.from_crontab(expression)) is None


def test_the_warning_reaches_the_configuration_naming_the_variable():
    config = parse_config(
        {
            "TASK_a_LOAD": "true",
            "TASK_a_CRONTAB": "*/5 * * * * *",
            "TASK_b_LOAD": "true",
            "TASK_b_CRONTAB": "@daily",
        }
    )
    assert config.warnings == (
        "TASK_a_CRONTAB: fires every 5 seconds: a 6-field expression starts with seconds; for every 5 "
        "minutes write */5 * * * *",
    )


def test_the_field_message_reaches_the_configuration_error():
    with pytest.raises(ConfigError) as raised:
        parse_config({"TASK_a_LOAD": "true", "TASK_a_CRONTAB": "0 25 * * *"})
    assert raised.value.problems == [
        "TASK_a_CRONTAB: '0 25 * * *' is not a valid cron expression: hour 25 is out of range 0-23"
    ]
