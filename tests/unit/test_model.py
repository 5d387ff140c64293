"""A run's result: the value that history, notifications and metrics consume."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from duplicity_cron.model import RunResult, Status, Trigger

START = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)


def result(status: Status = Status.SUCCEEDED, **changes) -> RunResult:
    fields = {
        "task": "my_db",
        "status": status,
        "trigger": Trigger.SCHEDULE,
        "started": START,
        "ended": START + timedelta(seconds=83, milliseconds=250),
    }
    fields.update(changes)
    return RunResult(**fields)


@pytest.mark.parametrize(
    ("status", "succeeded"),
    [
        (Status.SUCCEEDED, True),
        (Status.FAILED, False),
        (Status.TIMED_OUT, False),
        (Status.INTERRUPTED, False),
        (Status.SKIPPED, False),
    ],
)
def test_only_succeeded_is_success(status: Status, succeeded: bool) -> None:
    assert result(status).succeeded is succeeded


def test_duration_is_end_minus_start() -> None:
    assert result().duration == 83.25


def test_defaults() -> None:
    run = result()
    assert run.exit_code == 0
    assert run.failed_step is None
    assert run.output_tail == ()


def test_is_immutable() -> None:
    run = result()
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.status = Status.FAILED  # type: ignore[misc]


def test_to_dict_is_json_ready_and_complete() -> None:
    paris_summer = timezone(timedelta(hours=2))
    run = result(
        Status.FAILED,
        trigger=Trigger.EXEC,
        started=datetime(2026, 5, 13, 12, 0, tzinfo=paris_summer),
        ended=datetime(2026, 5, 13, 12, 0, 1, 500000, tzinfo=paris_summer),
        exit_code=3,
        failed_step="load",
        output_tail=("line 1", "line 2"),
    )
    data = json.loads(json.dumps(run.to_dict()))
    assert data == {
        "task": "my_db",
        "status": "failed",
        "trigger": "exec",
        "started": "2026-05-13T12:00:00+02:00",
        "ended": "2026-05-13T12:00:01.500000+02:00",
        "duration": 1.5,
        "exit_code": 3,
        "failed_step": "load",
        "output_tail": ["line 1", "line 2"],
        "backup": None,
        "recovery_seconds": None,
        "target_bytes": None,
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Status.SUCCEEDED, "succeeded"),
        (Status.FAILED, "failed"),
        (Status.TIMED_OUT, "timed_out"),
        (Status.INTERRUPTED, "interrupted"),
        (Status.SKIPPED, "skipped"),
        (Trigger.SCHEDULE, "schedule"),
        (Trigger.EXEC, "exec"),
        (Trigger.RESTORE, "restore"),
    ],
)
def test_enum_values_print_as_plain_strings(value, text: str) -> None:
    assert str(value) == text
    assert f"{value}" == text


def test_killed_by_signal_exit_code_is_kept() -> None:
    run = result(Status.TIMED_OUT, exit_code=128 + 15, failed_step="extract")
    assert run.to_dict()["exit_code"] == 143
    assert run.to_dict()["status"] == "timed_out"


def test_last_runs_reads_backup_runs_or_drills_never_both() -> None:
    from datetime import UTC, datetime, timedelta

    from duplicity_cron.model import RunResult, Status, Trigger, last_runs

    start = datetime(2026, 12, 1, tzinfo=UTC)

    def made(minute: int, status: Status, trigger: Trigger) -> RunResult:
        at = start + timedelta(minutes=minute)
        return RunResult("home", status, trigger, at, at)

    newest_first = [
        made(4, Status.SUCCEEDED, Trigger.VERIFY),
        made(3, Status.FAILED, Trigger.SCHEDULE),
        made(2, Status.FAILED, Trigger.VERIFY),
        made(1, Status.SUCCEEDED, Trigger.EXEC),
    ]
    backups = last_runs(newest_first)
    drills = last_runs(newest_first, drills=True)
    assert (backups.run, backups.verdict, backups.success) == (
        newest_first[1],
        newest_first[1],
        newest_first[3],
    )
    assert (drills.run, drills.success) == (newest_first[0], newest_first[0])


def test_a_drill_s_recovery_time_is_kept_in_its_record() -> None:
    run = RunResult(
        "db", Status.SUCCEEDED, Trigger.VERIFY, datetime(2026, 5, 13, tzinfo=UTC),
        datetime(2026, 5, 13, 0, 1, tzinfo=UTC), recovery_seconds=12.34567,
    )  # fmt: skip
    data = json.loads(json.dumps(run.to_dict()))
    assert data["recovery_seconds"] == 12.346
    assert RunResult.from_dict(data).recovery_seconds == 12.346
    assert RunResult.from_dict({**data, "recovery_seconds": None}).recovery_seconds is None
    older = {key: value for key, value in data.items() if key != "recovery_seconds"}
    assert RunResult.from_dict(older).recovery_seconds is None  # records of older versions
    with pytest.raises(TypeError):
        RunResult.from_dict({**data, "recovery_seconds": "12"})
