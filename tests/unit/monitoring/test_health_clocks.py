"""The health judgement and clocks: a heartbeat or a last success from the future is a clock problem, not
freshness for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest

from duplicity_cron.model import Status
from duplicity_cron.monitoring.health import CLOCK_SKEW, judge

from .test_health import DAY, NOW, TASK, ago, beat, run


@pytest.mark.parametrize("ahead", [CLOCK_SKEW + 1, 3600.0, 365 * DAY])
def test_a_heartbeat_from_the_future_is_unhealthy_not_fresh_for_ever(ahead: float) -> None:
    for alive in (True, None):
        [reason] = judge(beat(age=-ahead), {TASK: [run(Status.SUCCEEDED, ago(1))]}, NOW, alive)
        assert "heartbeat" in reason and "in the future" in reason and "clock" in reason


@pytest.mark.parametrize("ahead", [1.0, CLOCK_SKEW])
def test_a_heartbeat_a_little_ahead_is_healthy(ahead: float) -> None:
    """A clock stepped back a little by NTP: the next beat (20 s later) is written in the new time."""
    assert judge(beat(age=-ahead), {}, NOW, True) == []


def test_a_dead_writer_is_reported_before_a_future_heartbeat() -> None:
    [reason] = judge(beat(age=-3600), {}, NOW, False)
    assert "not running" in reason


def test_a_last_success_from_the_future_is_unhealthy_not_fresh_for_ever() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, NOW + timedelta(days=30))]}
    [reason] = judge(beat(), runs, NOW, True)
    assert TASK in reason and "last success" in reason and "in the future" in reason


def test_a_last_success_a_little_ahead_is_healthy() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, NOW + timedelta(seconds=CLOCK_SKEW))]}
    assert judge(beat(), runs, NOW, True) == []
