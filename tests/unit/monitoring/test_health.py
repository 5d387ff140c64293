"""The health judgement: heartbeat freshness, the latest verdict of each planned task, backup age."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from duplicity_cron.config.schedules import CronSchedule as Schedule
from duplicity_cron.model import PlannedTask, RunResult, Status, Trigger, default_max_age
from duplicity_cron.monitoring.health import judge
from duplicity_cron.state.heartbeat import Heartbeat

NOW = datetime(2026, 5, 13, 12, 0, tzinfo=UTC)
DAY = 86400.0
TASK = "nightly_db"
OTHER = "photos"


def planned(task: str = TASK, max_age: float = 2 * DAY, first_due: datetime | None = None) -> PlannedTask:
    """A daily task; by default the daemon started a day ago and the task was first due 23 h ago."""
    return PlannedTask(task, "0 13 * * *", max_age, first_due or NOW - timedelta(hours=23))


def beat(
    *tasks: PlannedTask,
    age: float = 10.0,
    stopped: datetime | None = None,
    started: datetime | None = None,
) -> Heartbeat:
    return Heartbeat(
        pid=4242,
        hostname="backup-host",
        started=started or NOW - timedelta(days=1),
        updated=NOW - timedelta(seconds=age),
        tasks=tasks if tasks else (planned(),),
        stopped=stopped,
    )


def run(
    status: Status,
    ended: datetime,
    task: str = TASK,
    trigger: Trigger = Trigger.SCHEDULE,
    exit_code: int | None = None,
    failed_step: str | None = None,
) -> RunResult:
    if exit_code is None:
        exit_code = 0 if status in (Status.SUCCEEDED, Status.SKIPPED) else 1
    return RunResult(
        task=task,
        status=status,
        trigger=trigger,
        started=ended - timedelta(minutes=5),
        ended=ended,
        exit_code=exit_code,
        failed_step=failed_step,
    )


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


# --- the heartbeat ------------------------------------------------------------------------------


def test_missing_heartbeat_is_unhealthy() -> None:
    reasons = judge(None, {}, NOW, None)
    assert len(reasons) == 1
    assert reasons[0]


def test_stopped_heartbeat_is_unhealthy_even_if_fresh() -> None:
    reasons = judge(beat(age=1, stopped=NOW - timedelta(seconds=1)), {}, NOW, None)
    assert len(reasons) == 1
    assert "stop" in reasons[0]


def test_stopped_heartbeat_is_unhealthy_whatever_process_alive_says() -> None:
    for alive in (None, True, False):
        assert judge(beat(age=1, stopped=NOW - timedelta(seconds=1)), {}, NOW, alive), alive


@pytest.mark.parametrize("age", [91.0, 120.0, 3600.0, 3 * DAY])
def test_heartbeat_older_than_90_seconds_is_unhealthy(age: float) -> None:
    reasons = judge(beat(age=age), {}, NOW, None)
    assert len(reasons) == 1
    assert "heartbeat" in reasons[0]


@pytest.mark.parametrize("age", [0.0, 1.0, 30.0, 89.0, 90.0])
def test_heartbeat_at_most_90_seconds_old_is_healthy(age: float) -> None:
    assert judge(beat(age=age), {}, NOW, None) == []


def test_stale_heartbeat_is_unhealthy_even_if_the_process_is_alive() -> None:
    assert judge(beat(age=300), {}, NOW, True)


@pytest.mark.parametrize(("alive", "healthy"), [(True, True), (None, True), (False, False)])
def test_process_alive(alive: bool | None, healthy: bool) -> None:
    reasons = judge(beat(age=5), {}, NOW, alive)
    assert (reasons == []) is healthy, reasons
    if not healthy:
        assert len(reasons) == 1
        assert "4242" in reasons[0] or "not running" in reasons[0]


# --- the latest verdict -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.FAILED, Status.TIMED_OUT])
def test_latest_finished_run_failed_or_timed_out_is_unhealthy(status: Status) -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(25)), run(status, ago(1), exit_code=124, failed_step="load")]}
    reasons = judge(beat(), runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]
    assert str(status) in reasons[0]


@pytest.mark.parametrize("after", [Status.INTERRUPTED, Status.SKIPPED])
def test_interrupted_or_skipped_runs_after_a_failure_do_not_hide_it(after: Status) -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(20)), run(Status.FAILED, ago(3)), run(after, ago(1))]}
    reasons = judge(beat(), runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]
    assert "failed" in reasons[0]


def test_several_interrupted_and_skipped_runs_after_a_timeout_do_not_hide_it() -> None:
    runs = {
        TASK: [
            run(Status.SUCCEEDED, ago(20)),
            run(Status.TIMED_OUT, ago(10)),
            run(Status.SKIPPED, ago(8)),
            run(Status.INTERRUPTED, ago(5)),
            run(Status.SKIPPED, ago(2)),
        ]
    }
    assert judge(beat(), runs, NOW, True)


@pytest.mark.parametrize("after", [Status.INTERRUPTED, Status.SKIPPED])
def test_interrupted_or_skipped_runs_after_a_success_do_not_count(after: Status) -> None:
    runs = {TASK: [run(Status.FAILED, ago(30)), run(Status.SUCCEEDED, ago(3)), run(after, ago(1))]}
    assert judge(beat(), runs, NOW, True) == []


def test_only_interrupted_and_skipped_runs_within_max_age_of_first_due_are_healthy() -> None:
    runs = {TASK: [run(Status.INTERRUPTED, ago(20)), run(Status.SKIPPED, ago(2))]}
    assert judge(beat(), runs, NOW, True) == []


def test_success_after_a_failure_is_healthy_again() -> None:
    runs = {TASK: [run(Status.FAILED, ago(30)), run(Status.TIMED_OUT, ago(6)), run(Status.SUCCEEDED, ago(1))]}
    assert judge(beat(), runs, NOW, True) == []


def test_a_success_by_exec_clears_a_failure() -> None:
    runs = {TASK: [run(Status.FAILED, ago(6)), run(Status.SUCCEEDED, ago(1), trigger=Trigger.EXEC)]}
    assert judge(beat(), runs, NOW, True) == []


def test_a_failed_exec_run_of_a_scheduled_task_counts() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(6)), run(Status.FAILED, ago(1), trigger=Trigger.EXEC)]}
    reasons = judge(beat(), runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]


def test_runs_of_tasks_outside_the_daemons_plan_are_not_judged() -> None:
    runs = {
        TASK: [run(Status.SUCCEEDED, ago(1))],
        "exec_only": [run(Status.FAILED, ago(1), task="exec_only")],
    }
    assert judge(beat(), runs, NOW, True) == []


# --- backup age ---------------------------------------------------------------------------------


def test_last_success_older_than_max_age_is_overdue() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(49))]}
    reasons = judge(beat(planned(max_age=2 * DAY)), runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]


def test_last_success_within_max_age_is_healthy() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(47))]}
    assert judge(beat(planned(max_age=2 * DAY)), runs, NOW, True) == []


def test_last_success_exactly_max_age_old_is_healthy() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(48))]}
    assert judge(beat(planned(max_age=2 * DAY)), runs, NOW, True) == []


def test_last_success_by_any_trigger_but_a_drill_counts_for_the_age() -> None:
    for trigger in (t for t in Trigger if not t.is_drill):
        runs = {TASK: [run(Status.SUCCEEDED, ago(100)), run(Status.SUCCEEDED, ago(2), trigger=trigger)]}
        assert judge(beat(planned(max_age=DAY)), runs, NOW, True) == [], trigger


def test_failures_and_interruptions_do_not_refresh_the_age() -> None:
    runs = {
        TASK: [
            run(Status.SUCCEEDED, ago(30)),
            run(Status.INTERRUPTED, ago(3)),
            run(Status.SKIPPED, ago(2)),
        ]
    }
    reasons = judge(beat(planned(max_age=DAY)), runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]


def test_a_restart_does_not_hide_that_backups_stopped_days_ago() -> None:
    # The daemon restarted a minute ago; the task is not due again for hours, but its last success is
    # five days old.
    restarted = beat(
        planned(max_age=2 * DAY, first_due=NOW + timedelta(hours=13)), started=NOW - timedelta(minutes=1)
    )
    runs = {TASK: [run(Status.SUCCEEDED, NOW - timedelta(days=5))]}
    reasons = judge(restarted, runs, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]


def test_never_succeeded_and_first_due_longer_ago_than_max_age_is_unhealthy() -> None:
    state = beat(planned(max_age=DAY, first_due=NOW - timedelta(hours=25)), started=NOW - timedelta(days=2))
    reasons = judge(state, {}, NOW, True)
    assert len(reasons) == 1
    assert TASK in reasons[0]


@pytest.mark.parametrize("hours", [0, 1, 23, 24])
def test_never_succeeded_within_max_age_of_first_due_is_healthy(hours: int) -> None:
    state = beat(planned(max_age=DAY, first_due=NOW - timedelta(hours=hours)))
    assert judge(state, {}, NOW, True) == []


def test_never_succeeded_only_failures_reports_the_failure_and_the_age() -> None:
    state = beat(planned(max_age=DAY, first_due=NOW - timedelta(days=3)), started=NOW - timedelta(days=3))
    runs = {TASK: [run(Status.FAILED, ago(50)), run(Status.FAILED, ago(2))]}
    reasons = judge(state, runs, NOW, True)
    assert len(reasons) == 2
    assert all(TASK in reason for reason in reasons)


def test_a_task_not_yet_due_is_healthy() -> None:
    state = beat(planned(max_age=3600, first_due=NOW + timedelta(days=20)))
    assert judge(state, {}, NOW, True) == []


def test_a_fresh_state_is_healthy() -> None:
    """Just started: a heartbeat, no run recorded, every task first due in the future."""
    state = beat(
        planned(TASK, max_age=2 * DAY, first_due=NOW + timedelta(hours=2)),
        planned(OTHER, max_age=120, first_due=NOW + timedelta(seconds=30)),
        age=0,
        started=NOW,
    )
    assert judge(state, {}, NOW, None) == []
    assert judge(state, {TASK: [], OTHER: []}, NOW, True) == []


def test_a_heartbeat_without_scheduled_tasks_is_healthy() -> None:
    state = Heartbeat(pid=1, hostname="h", started=ago(1), updated=NOW, tasks=())
    assert judge(state, {}, NOW, True) == []


# --- several reasons ----------------------------------------------------------------------------


def test_several_reasons_are_all_reported_and_each_names_its_task() -> None:
    state = beat(
        planned(TASK, max_age=DAY),
        planned(OTHER, max_age=DAY, first_due=NOW - timedelta(days=2)),
        planned("healthy_one", max_age=DAY),
        age=600,
        started=NOW - timedelta(days=3),
    )
    runs = {
        TASK: [run(Status.SUCCEEDED, ago(3)), run(Status.FAILED, ago(1), failed_step="load")],
        OTHER: [],
        "healthy_one": [run(Status.SUCCEEDED, ago(1), task="healthy_one")],
    }
    reasons = judge(state, runs, NOW, True)
    assert len(reasons) == 3, reasons
    assert sum("heartbeat" in reason for reason in reasons) == 1
    assert sum(TASK in reason for reason in reasons) == 1
    assert sum(OTHER in reason for reason in reasons) == 1
    assert not any("healthy_one" in reason for reason in reasons)


def test_a_failed_and_overdue_task_gives_two_reasons() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(100)), run(Status.FAILED, ago(1))]}
    reasons = judge(beat(planned(max_age=DAY)), runs, NOW, True)
    assert len(reasons) == 2
    assert all(TASK in reason for reason in reasons)


def test_a_failure_reason_names_the_step_and_exit_code() -> None:
    runs = {TASK: [run(Status.FAILED, ago(1), exit_code=23, failed_step="extract")]}
    [reason] = judge(beat(), runs, NOW, True)
    assert TASK in reason
    assert "extract" in reason
    assert "23" in reason


# --- default max age ----------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [1.0, 3600.0, DAY, 3 * DAY])
def test_default_max_age_is_twice_the_longest_gap(gap: float) -> None:
    assert default_max_age(gap) == 2 * gap


def test_default_max_age_of_a_weekday_schedule_covers_the_weekend() -> None:
    schedule = Schedule.from_crontab("0 3 * * 1-5")
    assert default_max_age(schedule.longest_gap(NOW)) == 6 * DAY


def drill_plan(max_age: float = 14 * DAY) -> PlannedTask:
    return PlannedTask(TASK, "0 4 * * 0", max_age, NOW - timedelta(days=1), drill=True)


def test_a_good_drill_never_makes_a_missing_backup_fresh() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(100)), run(Status.SUCCEEDED, ago(1), trigger=Trigger.VERIFY)]}
    assert judge(beat(planned(max_age=DAY), drill_plan()), runs, NOW, True) == [
        "task nightly_db: last success 4d04h ago, over its max age 24h00m"
    ]


def test_a_failed_drill_is_unhealthy_until_a_drill_succeeds() -> None:
    failed = run(Status.FAILED, ago(3), trigger=Trigger.VERIFY, exit_code=21, failed_step="restore")
    backups = [run(Status.SUCCEEDED, ago(30)), run(Status.SUCCEEDED, ago(2))]
    runs = {TASK: [*backups[:1], failed, *backups[1:]]}
    assert judge(beat(planned(), drill_plan()), runs, NOW, True) == [
        "task nightly_db: last verify failed at step restore (exit code 21) at 2026-05-13T09:00:00+00:00"
    ]
    # the backup after the failed drill is no drill: only a good drill clears it
    runs[TASK].append(run(Status.SUCCEEDED, ago(1), trigger=Trigger.VERIFY))
    assert judge(beat(planned(), drill_plan()), runs, NOW, True) == []


def test_a_lost_drill_is_unhealthy() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(2)), run(Status.LOST, ago(1), trigger=Trigger.VERIFY)]}
    [reason] = judge(beat(planned(), drill_plan()), runs, NOW, True)
    assert reason.startswith("task nightly_db: last verify lost")


def test_no_good_drill_within_its_max_age_is_unhealthy() -> None:
    runs = {
        TASK: [run(Status.SUCCEEDED, ago(2)), run(Status.SUCCEEDED, ago(15 * 24), trigger=Trigger.VERIFY)]
    }
    assert judge(beat(planned(), drill_plan()), runs, NOW, True) == [
        "task nightly_db: last successful verify 15d00h ago, over its max age 14d00h"
    ]
    never = PlannedTask(TASK, "0 4 * * 0", 14 * DAY, NOW - timedelta(days=15), drill=True)
    assert judge(beat(planned(), never), {TASK: [run(Status.SUCCEEDED, ago(2))]}, NOW, True) == [
        "task nightly_db: no successful verify since it was first due at 2026-04-28T12:00:00+00:00, "
        "over its max age 14d00h"
    ]


def test_a_failed_backup_is_not_reported_by_the_drill_entry() -> None:
    runs = {TASK: [run(Status.SUCCEEDED, ago(2), trigger=Trigger.VERIFY), run(Status.FAILED, ago(1))]}
    assert judge(beat(planned(), drill_plan()), runs, NOW, True) == [
        "task nightly_db: last run failed (exit code 1) at 2026-05-13T11:00:00+00:00"
    ]


def test_a_failed_drill_says_why_in_its_last_line() -> None:
    failed = dataclasses.replace(
        run(Status.FAILED, ago(1), trigger=Trigger.VERIFY, exit_code=1, failed_step="recovery"),
        output_tail=(
            "restored",
            "verify failed: the data came back in 3.2s (the restore 3.2s), over VERIFY_MAX_TIME 1s",
        ),
    )
    runs = {TASK: [run(Status.SUCCEEDED, ago(2)), failed]}
    assert judge(beat(planned(), drill_plan()), runs, NOW, True) == [
        "task nightly_db: last verify failed at step recovery (exit code 1) at 2026-05-13T11:00:00+00:00: "
        "verify failed: the data came back in 3.2s (the restore 3.2s), over VERIFY_MAX_TIME 1s"
    ]
