"""The metrics of drills: the recovery time of the last drill whose data came back."""

from __future__ import annotations

from datetime import UTC, datetime

from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.monitoring.prometheus import Metrics

START = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def test_the_last_drill_s_recovery_time_is_a_gauge_per_task() -> None:
    metrics = Metrics()
    metrics.run_finished(
        None, RunResult("db", Status.SUCCEEDED, Trigger.VERIFY, START, START, recovery_seconds=12.5)
    )  # type: ignore[arg-type]
    metrics.run_finished(
        None,
        RunResult("home", Status.FAILED, Trigger.VERIFY, START, START, 1, "recovery", recovery_seconds=3.25),
    )  # type: ignore[arg-type]
    # a drill whose data did not come back leaves the last recovery time as it was
    metrics.run_finished(None, RunResult("db", Status.FAILED, Trigger.VERIFY, START, START, 1, "restore"))  # type: ignore[arg-type]
    value = metrics.registry.get_sample_value
    assert value("duplicity_cron_last_restore_seconds", {"task": "db"}) == 12.5
    assert value("duplicity_cron_last_restore_seconds", {"task": "home"}) == 3.25
    metrics.run_finished(None, RunResult("x", Status.SUCCEEDED, Trigger.SCHEDULE, START, START))  # type: ignore[arg-type]
    assert value("duplicity_cron_last_restore_seconds", {"task": "x"}) is None
