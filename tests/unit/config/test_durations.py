"""Human durations: TIMEOUT and grace periods."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.durations import (
    MAX_DURATION,
    MAX_WAIT,
    DurationError,
    format_duration,
    parse_duration,
    parse_wait,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45", 45),
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("8d", 8 * 86400),
        ("1h30m", 5400),
        ("30m1h", 5400),
        ("1d2h3m4s", 86400 + 7200 + 180 + 4),
        ("0.5", 0.5),
        ("1.5m", 90),
        (" 2H ", 7200),
        ("10S", 10),
        ("0m30s", 30),
    ],
)
def test_valid_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["soon", "10x", "-5", "-5s", "h", "5mm", "1.2.3", "1h 30m", "1 h", "s30", "1e3", "½h", "5 minutes"],
)
def test_unparsable_durations(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    message = str(info.value)
    assert repr(text) in message
    assert "not a duration" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_duration(text: str) -> None:
    with pytest.raises(DurationError, match="empty"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0", "0s", "0m0s", "0.0"])
def test_zero_is_rejected(text: str) -> None:
    with pytest.raises(DurationError, match="greater than zero"):
        parse_duration(text)


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "0.5s"),
        (5.04, "5.0s"),
        (59.9, "59.9s"),
        (60, "1m00s"),
        (90, "1m30s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (5400, "1h30m"),
        (47 * 3600, "47h00m"),
        (48 * 3600, "2d00h"),
        (3 * 86400 + 5 * 3600, "3d05h"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# --- upper bounds: nothing accepted may overflow a timer at run time -----------------------------


def test_the_bounds_are_whole_days_far_above_real_use() -> None:
    assert MAX_WAIT == 24 * 86400  # epoll takes at most 2**31 - 1 ms
    assert MAX_WAIT * 1000 < 2**31 - 1
    assert MAX_DURATION == 3650 * 86400


@pytest.mark.parametrize("text", ["3650d", str(3650 * 86400), "3649d23h59m60s"])
def test_a_duration_at_the_bound_is_accepted(text: str) -> None:
    assert parse_duration(text) == MAX_DURATION


@pytest.mark.parametrize(
    "text", ["3650d1s", "3651d", str(3650 * 86400 + 1), "99999999999999999999d", "9" * 400, "1" + "0" * 400]
)
def test_a_duration_over_the_bound_is_rejected(text: str) -> None:
    with pytest.raises(DurationError, match="is too long: at most 3650d"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["24d", "2073600", "23d24h"])
def test_a_wait_at_the_bound_is_accepted(text: str) -> None:
    assert parse_wait(text) == MAX_WAIT


@pytest.mark.parametrize("text", ["24d1s", "2073600.5", "25d", "1000d"])
def test_a_wait_over_the_bound_is_rejected(text: str) -> None:
    with pytest.raises(DurationError, match="is too long: at most 24d"):
        parse_wait(text)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TASK_x_TIMEOUT", "25d"),
        ("CONF_STOP_GRACE", "24d1s"),
        ("TASK_x_MAX_AGE", "3651d"),
        ("TASK_x_MAX_AGE", "99999999999999999999d"),
    ],
)
def test_a_too_long_duration_names_its_variable(variable: str, value: str) -> None:
    env = {"TASK_x_LOAD": "true", "TASK_x_CRONTAB": "@daily", variable: value}
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    [problem] = info.value.problems
    assert problem.startswith(f"{variable}: {value!r} is too long: at most ")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TASK_x_TIMEOUT", "24d"), ("CONF_STOP_GRACE", "24d"), ("TASK_x_MAX_AGE", "3650d")],
)
def test_a_duration_at_its_bound_is_a_valid_setting(variable: str, value: str) -> None:
    parse_config({"TASK_x_LOAD": "true", "TASK_x_CRONTAB": "@daily", variable: value})
