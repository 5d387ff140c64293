"""A damaged state folder: `status` shows what it can with a warning on stderr (exit 0), `healthcheck`
says `unhealthy: <reason>` (exit 1); never a traceback. Also a full and a read-only state disk."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.state import history

from .full_disk import on_a_full_disk

ENV = {"TASK_t_CRONTAB": "0 3 * * *", "TASK_t_LOAD": "true", "TASK_u_LOAD": "true"}
STATUS_COMMANDS = (["status"], ["status", "t"], ["status", "--json"])


@pytest.fixture
def state_dir(work_dir: Path) -> Path:
    return work_dir.parent / "state"  # what conftest.base_env sets as CONF_STATE_DIR


def heartbeat_data(**changes: Any) -> dict[str, Any]:
    """A fresh heartbeat of a live process (this test's) planning task t, as the daemon writes it."""
    now = datetime.now(UTC)
    data = {
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        "started": (now - timedelta(hours=1)).isoformat(),
        "updated": now.isoformat(),
        "stopped": None,
        "tasks": [
            {"task": "t", "schedule": "0 3 * * *", "max_age": 2 * 86400.0, "first_due": now.isoformat()}
        ],
    }
    data.update(changes)
    return data


def write_heartbeat(state_dir: Path, **changes: Any) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "heartbeat.json").write_text(json.dumps(heartbeat_data(**changes)))


def record_success(state_dir: Path, hours_ago: float = 1, tail: tuple[str, ...] = ()) -> RunResult:
    ended = datetime.now(UTC) - timedelta(hours=hours_ago)
    run = RunResult(
        "t", Status.SUCCEEDED, Trigger.SCHEDULE, ended - timedelta(minutes=1), ended, 0, None, tail
    )
    history.record(state_dir, run)
    return run


def healthcheck(cli) -> str:
    result = cli("healthcheck", env=ENV)
    assert "Traceback" not in result.output
    assert result.returncode in (0, 1), result.output
    assert len(result.stdout.splitlines()) == 1
    return result.stdout.strip()


def statuses(cli) -> list[tuple[str, str]]:
    """(stdout, stderr) of every form of `status`; each exits 0 without a traceback."""
    outputs = []
    for command in STATUS_COMMANDS:
        result = cli(*command, env=ENV)
        assert result.returncode == 0, (command, result.output)
        assert "Traceback" not in result.output, command
        outputs.append((result.stdout, result.stderr))
    json.loads(outputs[2][0])
    return outputs


def test_an_intact_state_is_healthy_and_warns_of_nothing(cli, state_dir):
    write_heartbeat(state_dir)
    record_success(state_dir)
    assert healthcheck(cli) == "healthy"
    assert all(stderr == "" for _, stderr in statuses(cli))


def test_a_file_where_a_tasks_history_folder_should_be(cli, state_dir):
    write_heartbeat(state_dir)
    (state_dir / "runs").mkdir()
    (state_dir / "runs" / "t").write_text("not a folder")
    for stdout, stderr in statuses(cli):
        assert stderr == (
            f"duplicity-cron status: warning: task t: its run history cannot be read: {state_dir}/runs/t "
            "is not a folder\n"
        )
        assert "t " in stdout or '"task": "t"' in stdout
    assert healthcheck(cli) == (
        f"unhealthy: task t: its run history cannot be read: {state_dir}/runs/t is not a folder"
    )


def test_a_file_where_the_history_folder_should_be(cli, state_dir):
    write_heartbeat(state_dir)
    (state_dir / "runs").write_text("not a folder")
    for _, stderr in statuses(cli):
        # Told once, not once per task.
        assert stderr == (
            f"duplicity-cron status: warning: no run history can be read: {state_dir}/runs is not a folder\n"
        )
    assert healthcheck(cli) == (  # told once, not again for each task
        f"unhealthy: the run history: {state_dir}/runs is not a folder: runs are not recorded"
    )


def test_a_state_folder_that_is_a_file(cli, state_dir):
    state_dir.write_text("not a folder")
    for stdout, stderr in statuses(cli):
        assert stderr == (
            f"duplicity-cron status: warning: no run history can be read: {state_dir} is not a folder\n"
        )
        assert "never" in stdout or '"last_run": null' in stdout
    assert healthcheck(cli) == f"unhealthy: the state folder: {state_dir} is not a folder"


GOOD_DATE = "2026-05-13T10:20:00+00:00"


def record_data(**changes: Any) -> dict[str, Any]:
    data = {
        "task": "t", "status": "failed", "trigger": "schedule", "started": GOOD_DATE, "ended": GOOD_DATE,
        "exit_code": 1, "failed_step": "load", "output_tail": ["x"],
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "not JSON"),
        ("\xff\xfe garbage", "not JSON"),
        ("[" * 100_000, "nested too deeply"),
        ("[]", "not a JSON object"),
        ("null", "not a JSON object"),
        (json.dumps({"task": "t"}), "no field 'status'"),
        (json.dumps(record_data(status="exploded")), "'exploded' is not a valid Status"),
        (json.dumps(record_data(started="yesterday")), "yesterday"),
        (json.dumps(record_data(started=12)), "not the expected shape"),
        (json.dumps(record_data(started="2026-05-13T10:20:00")), "has no UTC offset"),
        (json.dumps(record_data(ended="0001-01-01T00:00:00+00:00")), "out of range"),
        (json.dumps(record_data(exit_code="many")), "many"),
        ('{"exit_code": Infinity, ' + json.dumps(record_data())[1:].replace('"exit_code": 1, ', ""), "inf"),
        (json.dumps(record_data(output_tail="one string")), "not text"),
        (json.dumps(record_data(output_tail=[1, {"a": 2}])), "not text"),
        (json.dumps(record_data(failed_step=["load"])), "not text"),
    ],
)
def test_an_unreadable_record_is_passed_over_and_named(cli, state_dir, content, why):
    write_heartbeat(state_dir)
    good = record_success(state_dir)
    bad = history.runs_dir(state_dir, "t") / "20990101T000000.000000Z-1-1-failed.json"  # the newest
    bad.write_text(content, encoding="utf-8", errors="surrogateescape")
    for stdout, stderr in statuses(cli):
        [warning] = stderr.splitlines()
        assert warning.startswith(
            f"duplicity-cron status: warning: task t: 1 unreadable run record(s) in {bad.parent} passed "
            f"over (move or delete them): {bad.name} ("
        )
        assert why in warning, warning
        assert good.ended.isoformat(timespec="seconds") in stdout or "succeeded" in stdout  # the good one
    line = healthcheck(cli)
    assert line.startswith("unhealthy: task t: 1 unreadable run record(s)") and why in line


def test_a_record_that_is_a_folder_or_a_fifo_is_passed_over(cli, state_dir):
    record_success(state_dir)
    folder = history.runs_dir(state_dir, "t")
    (folder / "20990101T000000.000000Z-1-1-failed.json").mkdir()
    os.mkfifo(folder / "20990101T000001.000000Z-1-1-failed.json")  # must not hang the reader
    for stdout, stderr in statuses(cli):
        assert "2 unreadable run record(s)" in stderr and stderr.count("not a regular file") == 2
        assert "succeeded" in stdout


@pytest.mark.parametrize("pid", [0, -1, -4242, 10**30, "4242", True, None, 1.5])
def test_a_heartbeat_with_an_absurd_pid_is_unhealthy(cli, state_dir, pid):
    write_heartbeat(state_dir, pid=pid)
    record_success(state_dir)
    line = healthcheck(cli)
    assert line == (
        f"unhealthy: the heartbeat {state_dir}/heartbeat.json cannot be used: pid {pid!r} is not a process id"
    )


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"updated": "2026-05-13T10:20:00"}, "updated 2026-05-13T10:20:00 has no UTC offset"),
        ({"updated": "soon"}, "soon"),
        ({"tasks": "t"}, "tasks is not a list"),
        ({"tasks": [{"task": "t"}]}, "no field 'schedule'"),
        (
            {"tasks": [{"task": "t", "schedule": "@daily", "max_age": -5, "first_due": GOOD_DATE}]},
            "max_age -5 is not a positive number of seconds",
        ),
    ],
)
def test_a_heartbeat_of_the_wrong_shape_is_unhealthy(cli, state_dir, changes, why):
    write_heartbeat(state_dir, **changes)
    line = healthcheck(cli)
    assert line.startswith(f"unhealthy: the heartbeat {state_dir}/heartbeat.json cannot be used: ")
    assert why in line


def test_a_heartbeat_from_the_future_is_unhealthy(cli, state_dir):
    updated = datetime.now(UTC) + timedelta(days=1)
    write_heartbeat(state_dir, updated=updated.isoformat())
    record_success(state_dir)
    line = healthcheck(cli)
    assert line.startswith(f"unhealthy: the heartbeat was written at {updated.isoformat(timespec='seconds')}")
    assert "in the future: a clock is wrong" in line


def test_a_last_success_from_the_future_is_unhealthy(cli, state_dir):
    write_heartbeat(state_dir)
    record_success(state_dir, hours_ago=-24 * 365)
    line = healthcheck(cli)
    assert line.startswith("unhealthy: task t: last success at ") and "in the future" in line


def test_a_heartbeat_that_is_a_folder_is_unhealthy(cli, state_dir):
    (state_dir / "heartbeat.json").mkdir(parents=True)
    record_success(state_dir)
    line = healthcheck(cli)
    assert line == f"unhealthy: the heartbeat {state_dir}/heartbeat.json cannot be used: not a regular file"
    assert all(stderr == "" for _, stderr in statuses(cli))  # status does not read the heartbeat


@pytest.fixture
def healthy_seed(tmp_path: Path) -> Path:
    """A state folder that is healthy on its own: a fresh heartbeat, a recent success."""
    seed = tmp_path / "seed"
    write_heartbeat(seed)
    record_success(seed)
    return seed


@pytest.mark.parametrize(
    ("how", "why"), [("full", "No space left on device"), ("read-only", "Read-only file system")]
)
def test_a_state_disk_that_cannot_be_written_is_unhealthy(work_dir, tmp_path, healthy_seed, how, why):
    state = tmp_path / "mounted-state"
    env = {**ENV, "CONF_STATE_DIR": str(state)}
    result = on_a_full_disk(state, work_dir, ["healthcheck"], env, seed=healthy_seed, how=how)
    assert result.returncode == 1, result.output
    assert result.stdout == (
        f"unhealthy: the state folder {state} cannot be written ({why}): runs are not recorded\n"
    )
    # The same files on a disk with room are healthy.
    ok = on_a_full_disk(state, work_dir, ["healthcheck"], env, seed=healthy_seed, how="room")
    assert (ok.returncode, ok.stdout) == (0, "healthy\n")
