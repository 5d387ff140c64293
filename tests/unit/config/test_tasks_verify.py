"""TASK_<id>_VERIFY: a drill's schedule, a cron expression or a periodicity word, in the task's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.task_keys import KEYS

TARGET = {"TASK_home_TARGET": "file:///backups/home", "PASSPHRASE": "a long secret"}


def test_the_drill_keys_are_the_last_keys_of_the_table() -> None:
    assert KEYS[-4:] == ("VERIFY", "VERIFY_URL", "VERIFY_MAX_TIME", "VERIFY_SQL")


@pytest.mark.parametrize(
    ("value", "expression"),
    [
        ("0 4 * * 0", "0 4 * * 0"),
        ("weekly", "20 2 * * 0"),  # the periodicity word, as PERIODICITY
        ("Daily", "10 1 * * *"),
        ("@monthly", "0 0 1 * *"),
        ("*/5 * * * * *", "*/5 * * * * *"),
    ],
)
def test_verify_takes_a_cron_expression_or_a_periodicity(value: str, expression: str) -> None:
    task = parse_config({**TARGET, "TASK_home_VERIFY": value}).tasks["home"]
    assert task.verify is not None
    assert task.verify.expression == expression  # type: ignore[attr-defined]
    assert task.schedule is None  # a drill schedule is no backup schedule


def test_verify_follows_the_task_s_time_zone() -> None:
    env = {**TARGET, "TASK_home_VERIFY": "0 4 * * *", "TASK_home_TZ": "Europe/Paris"}
    task = parse_config(env).tasks["home"]
    assert task.verify is not None
    due = task.verify.next_after(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert due.astimezone(UTC) == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert due.tzinfo == ZoneInfo("Europe/Paris")


def test_a_bad_verify_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**TARGET, "TASK_home_VERIFY": "fortnightly"})
    [problem] = info.value.problems
    assert problem.startswith("TASK_home_VERIFY: 'fortnightly' has 1 fields")


def test_the_drill_max_age_is_twice_the_longest_gap_of_its_schedule() -> None:
    config = parse_config({**TARGET, "TASK_home_VERIFY": "0 4 * * 0", "TASK_home_CRONTAB": "@hourly"})
    task = config.tasks["home"]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert task.drill_max_age_at(now) == 14 * 86400.0
    assert task.max_age_at(now) == 7200.0  # the backups keep theirs
    assert [t.id for t in config.drill_tasks] == ["home"]
