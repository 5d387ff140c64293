"""Run history, `status`, the heartbeat and `healthcheck`, and /metrics, with the real daemon."""

from __future__ import annotations

import concurrent.futures
import json
import signal
import socket
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.state import history

from .conftest import wait_until
from .http_recorder import free_port

CANARY = "canary-Secr3t-a9c4e1"


@pytest.fixture
def state_dir(work_dir: Path) -> Path:
    return work_dir.parent / "state"  # what conftest.base_env sets as CONF_STATE_DIR


def test_every_run_is_recorded_with_its_masked_output_tail(cli, state_dir):
    env = {
        "SOME_PASSWORD": CANARY,
        "TASK_t_LOAD": 'for i in $(seq 80); do echo "line $i $SOME_PASSWORD"; done; exit 3',
    }
    assert cli("exec", "t", env=env).returncode == 1
    [record] = (state_dir / "runs" / "t").glob("*.json")
    data = json.loads(record.read_text())
    assert data["status"] == "failed" and data["failed_step"] == "load" and data["exit_code"] == 3
    assert data["trigger"] == "exec"
    assert len(data["output_tail"]) == 50 and data["output_tail"][-1] == "line 80 ***"
    assert CANARY not in record.read_text()


def test_status_json_shows_last_run_last_success_and_next_run(cli):
    env = {"TZ": "Europe/Paris", "TASK_t_CRONTAB": "0 3 * * *", "TASK_t_LOAD": "test -e /tmp/$RANDOM-nope-$$"}
    assert cli("exec", "t", env={**env, "TASK_t_LOAD": "echo ok"}).returncode == 0
    assert cli("exec", "t", env={**env, "TASK_t_LOAD": "exit 5"}).returncode == 1
    result = cli("status", "--json", env=env)
    assert result.returncode == 0, result.output
    [entry] = json.loads(result.stdout)["tasks"]
    assert entry["task"] == "t" and entry["schedule"] == "0 3 * * *" and entry["timezone"] == "Europe/Paris"
    assert entry["last_run"]["status"] == "failed" and entry["last_run"]["exit_code"] == 5
    assert datetime.fromisoformat(entry["last_success"]).utcoffset() in (
        timedelta(hours=1),
        timedelta(hours=2),
    )
    assert datetime.fromisoformat(entry["next_run"]).strftime("%H:%M") == "03:00"
    assert [run["status"] for run in entry["recent_runs"]] == ["failed", "succeeded"]
    text = cli("status", "t", env=env)
    assert text.returncode == 0 and "recent runs:" in text.stdout and "failed" in text.stdout
    assert cli("status", "nope", env=env).returncode == 2


def test_concurrent_processes_lose_no_run(cli, state_dir):
    """Eight processes run the same four tasks at once: each run is recorded, as a success or as
    skipped (the task's lock was held by another process)."""
    env = {f"TASK_{name}_LOAD": "sleep 0.1" for name in "abcd"}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: cli("exec", "a", "b", "c", "d", env=env), range(8)))
    succeeded = sum(result.stdout.count("run succeeded") for result in results)
    skipped = sum(result.stdout.count("run skipped") for result in results)
    assert succeeded + skipped == 32 and succeeded >= 4
    runs = [run for name in "abcd" for run in history.load_runs(state_dir, name)]
    assert len(runs) == 32
    assert sum(run.status is Status.SUCCEEDED for run in runs) == succeeded


def healthcheck(cli, env) -> tuple[int, str]:
    result = cli("healthcheck", env=env)
    assert result.returncode in (0, 1), result.output  # never 2: "reserved" for a container HEALTHCHECK
    return result.returncode, result.stdout.strip()


def test_health_follows_the_last_run_and_the_daemon(daemon, cli, tmp_path):
    flag = tmp_path / "fail"
    env = {
        "TASK_t_CRONTAB": "*/2 * * * * *",
        "TASK_t_MAX_AGE": "1h",
        "TASK_t_LOAD": f"test ! -e {flag}",
    }
    assert healthcheck(cli, env) == (1, "unhealthy: no heartbeat: the scheduler is not running "
                                        "(or has never run with this state folder)")  # fmt: skip
    d = daemon(env)
    d.wait_for("scheduler ready")
    assert healthcheck(cli, env) == (0, "healthy")  # fresh state: nothing due yet, nothing failed
    d.wait_for("run succeeded")
    assert healthcheck(cli, env) == (0, "healthy")
    flag.touch()
    d.wait_for("run failed")
    code, line = healthcheck(cli, env)
    assert code == 1 and "task t: last run failed at step load (exit code 1)" in line
    flag.unlink()
    d.wait_for("run succeeded", count=2)
    assert healthcheck(cli, env) == (0, "healthy")
    assert d.stop() == 0
    code, line = healthcheck(cli, env)
    assert code == 1 and "the scheduler stopped at" in line


def test_a_killed_daemon_is_unhealthy(daemon, cli):
    env = {"TASK_t_CRONTAB": "0 3 * * *", "TASK_t_LOAD": "true"}
    d = daemon(env)
    d.wait_for("scheduler ready")
    assert healthcheck(cli, env) == (0, "healthy")
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    code, line = healthcheck(cli, env)
    assert code == 1 and f"the scheduler (pid {d.proc.pid}) is not running" in line


def old_success(state_dir: Path, task: str, age: timedelta) -> None:
    """A success recorded `age` ago, as a previous life of the container would have left it."""
    ended = datetime.now(UTC) - age
    history.record(
        state_dir, RunResult(task, Status.SUCCEEDED, Trigger.SCHEDULE, ended - timedelta(minutes=1), ended)
    )


def test_a_restart_does_not_hide_that_backups_stopped_days_ago(daemon, cli, state_dir):
    env = {"TASK_nightly_CRONTAB": "0 3 * * *", "TASK_nightly_LOAD": "true"}
    old_success(state_dir, "nightly", timedelta(days=3))
    d = daemon(env)
    d.wait_for("scheduler ready")
    code, line = healthcheck(cli, env)
    # Default max age of a daily schedule: twice the longest gap, 48 h.
    assert code == 1 and "task nightly: last success 3d00h ago, over its max age 2d00h" in line
    assert cli("exec", "nightly", env=env).returncode == 0  # a manual backup counts
    assert healthcheck(cli, env) == (0, "healthy")
    assert d.stop() == 0


def test_history_survives_a_restart(daemon, cli, state_dir):
    env = {"TASK_t_CRONTAB": "* * * * * *", "TASK_t_LOAD": "true"}
    first = daemon(env)
    first.wait_for("run succeeded", count=2)
    assert first.stop() == 0
    recorded = len(history.load_runs(state_dir, "t"))
    assert recorded >= 2
    second = daemon(env)
    second.wait_for("run succeeded")
    assert second.stop() == 0
    assert len(history.load_runs(state_dir, "t")) > recorded


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_served_and_follow_the_runs(daemon, tmp_path):
    port = free_port()
    flag = tmp_path / "fail"
    env = {
        "CONF_METRICS_PORT": str(port),
        "TASK_t_CRONTAB": "* * * * * *",
        "TASK_t_LOAD": f"sleep 0.2; test ! -e {flag}",
        "TASK_slow_CRONTAB": "* * * * * *",
        "TASK_slow_LOAD": "sleep 1.5",
        "TASK_idle_CRONTAB": "0 3 * * *",
        "TASK_idle_LOAD": "true",
    }
    d = daemon(env)
    d.wait_for("[t] run succeeded")
    d.wait_for("[slow] WARNING: skipped")
    # A skip is logged by the scheduling loop and counted by the observers on a thread of their own,
    # after its history record: the count follows the log line by a moment.
    skipped = ("duplicity_cron_runs_total", (("status", "skipped"), ("task", "slow")))
    wait_until(lambda: scrape(port).get(skipped, 0) >= 1, what="the skip counted")
    m = scrape(port)
    t = (("task", "t"),)
    assert m[("duplicity_cron_up", ())] == 1
    assert m[("duplicity_cron_runs_total", (("status", "succeeded"), ("task", "t")))] >= 1
    assert m[("duplicity_cron_runs_total", (("status", "skipped"), ("task", "slow")))] >= 1
    assert abs(m[("duplicity_cron_last_success_timestamp_seconds", t)] - time.time()) < 10
    assert 0.2 <= m[("duplicity_cron_last_run_duration_seconds", t)] < 5
    assert m[("duplicity_cron_last_run_status", (("status", "succeeded"), ("task", "t")))] == 1
    assert m[("duplicity_cron_max_age_seconds", (("task", "idle"),))] == 2 * 86400
    assert ("duplicity_cron_last_run_timestamp_seconds", (("task", "idle"),)) not in m
    next_idle = datetime.fromtimestamp(
        m[("duplicity_cron_next_run_timestamp_seconds", (("task", "idle"),))], UTC
    )
    assert (next_idle.hour, next_idle.minute, next_idle.second) == (3, 0, 0)
    assert 0 < m[("duplicity_cron_next_run_timestamp_seconds", t)] - time.time() <= 2
    flag.touch()
    d.wait_for("[t] run failed")
    wait_until(
        lambda: scrape(port)[("duplicity_cron_last_run_status", (("status", "failed"), ("task", "t")))] == 1
    )
    assert d.stop() == 0


def test_a_taken_metrics_port_is_a_start_up_error(cli):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(
            "run", env={"CONF_METRICS_PORT": str(port), "TASK_t_CRONTAB": "@daily", "TASK_t_LOAD": "true"}
        )
    assert result.returncode == 2
    assert f"CONF_METRICS_PORT: cannot listen on port {port}" in result.stderr


def test_an_unwritable_state_folder_is_a_start_up_error_for_run(cli, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {"CONF_STATE_DIR": str(blocker / "state"), "TASK_t_CRONTAB": "@daily", "TASK_t_LOAD": "true"}
    result = cli("run", env=env)
    assert result.returncode == 2 and "CONF_STATE_DIR: cannot write the heartbeat" in result.stderr
    # exec still runs the task and says it could not record it; exit 3 (was 0): the success is lost.
    result = cli("exec", "t", env=env)
    assert result.returncode == 3 and "cannot record the run" in result.stdout


@pytest.mark.slow
def test_metrics_see_exec_runs_of_other_processes_at_the_next_heartbeat(daemon, cli, state_dir):
    port = free_port()
    env = {"CONF_METRICS_PORT": str(port), "TASK_nightly_CRONTAB": "0 3 * * *", "TASK_nightly_LOAD": "true"}
    old_success(state_dir, "nightly", timedelta(days=3))
    d = daemon(env)
    d.wait_for("scheduler ready")
    key = ("duplicity_cron_last_success_timestamp_seconds", (("task", "nightly"),))
    assert time.time() - scrape(port)[key] > 2.9 * 86400  # from the history, at start
    assert cli("exec", "nightly", env=env).returncode == 0  # another process
    wait_until(lambda: time.time() - scrape(port)[key] < 60, timeout=30, what="the exec run in the metrics")
    assert d.stop() == 0
