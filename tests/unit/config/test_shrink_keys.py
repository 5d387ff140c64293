"""SHRINK_LIMIT and ON_SHRINK, the keys of SOURCE's shrink check: parsed, validated at start-up (a bad
value names the variable), meaningful only with TARGET."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config

TARGET = {"TASK_home_TARGET": "file:///backups/home", "PASSPHRASE": "a long secret"}


@pytest.mark.parametrize(("value", "share"), [("50%", 50), ("50", 50), (" 1 % ", 1), ("100%", 100)])
def test_shrink_limit_is_a_share(value: str, share: int) -> None:
    assert parse_config({**TARGET, "TASK_home_SHRINK_LIMIT": value}).tasks["home"].shrink_limit == share


@pytest.mark.parametrize(("value", "action"), [("warn", "warn"), ("FAIL", "fail"), (" fail ", "fail")])
def test_on_shrink_is_warn_or_fail(value: str, action: str) -> None:
    assert parse_config({**TARGET, "TASK_home_ON_SHRINK": value}).tasks["home"].on_shrink == action


def test_the_defaults_are_left_to_the_check() -> None:
    task = parse_config(TARGET).tasks["home"]
    assert (task.shrink_limit, task.on_shrink) == (None, None)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("SHRINK_LIMIT", "0%", "TASK_home_SHRINK_LIMIT: '0%' is not a share from 1% to 100%"),
        ("SHRINK_LIMIT", "101%", "TASK_home_SHRINK_LIMIT: '101%' is not a share"),
        ("SHRINK_LIMIT", "12.5%", "TASK_home_SHRINK_LIMIT: '12.5%' is not a share"),
        ("SHRINK_LIMIT", "-5", "TASK_home_SHRINK_LIMIT: '-5' is not a share"),
        ("SHRINK_LIMIT", "half", "TASK_home_SHRINK_LIMIT: 'half' is not a share"),
        ("SHRINK_LIMIT", "%", "TASK_home_SHRINK_LIMIT: '%' is not a share"),
        ("ON_SHRINK", "error", "TASK_home_ON_SHRINK: 'error' is not one of warn, fail"),
        ("ON_SHRINK", " ", "TASK_home_ON_SHRINK: is empty"),
    ],
)
def test_bad_values_name_the_variable(key: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**TARGET, f"TASK_home_{key}": value})
    assert any(each.startswith(problem) for each in info.value.problems), info.value.problems


@pytest.mark.parametrize("key", ["SHRINK_LIMIT", "ON_SHRINK"])
def test_they_need_a_target(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            {"TASK_home_LOAD": "true", f"TASK_home_{key}": "50" if key == "SHRINK_LIMIT" else "fail"}
        )
    assert info.value.problems == [
        f"TASK_home_{key}: only means something with TASK_home_TARGET, which is not set"
    ]
