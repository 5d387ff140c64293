"""`exec` and `restore` whose runs cannot be recorded exit 3, not 0: a backup whose success is lost from
the history pages someone later. Shown with a regular file where `<state>/runs` should be (root writes
through permissions) and with a full tmpfs as the state folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from .full_disk import on_a_full_disk

LOST = "could not be recorded in"


@pytest.fixture
def blocked_state(tmp_path: Path) -> Path:
    state = tmp_path / "blocked-state"
    state.mkdir()
    (state / "runs").write_text("a file where the history folder should be")
    return state


def test_exec_whose_run_cannot_be_recorded_exits_3(cli, blocked_state):
    env = {"CONF_STATE_DIR": str(blocked_state), "TASK_a_LOAD": "echo backed up", "TASK_b_LOAD": "true"}
    result = cli("exec", "a", "b", env=env)
    assert result.returncode == 3, result.output
    assert result.stdout.count("run succeeded") == 2
    assert f"[a] ERROR: cannot record the run in {blocked_state}" in result.stdout
    assert (
        f"ERROR: the run(s) of a, b {LOST} {blocked_state}: status, healthcheck and the metrics will not "
        "see them (exit code 3)"
    ) in result.stdout
    assert "Traceback" not in result.output


def test_a_failed_task_still_exits_1_when_its_run_is_not_recorded_either(cli, blocked_state):
    env = {"CONF_STATE_DIR": str(blocked_state), "TASK_a_LOAD": "exit 4", "TASK_b_LOAD": "true"}
    result = cli("exec", "a", "b", env=env)
    assert result.returncode == 1, result.output
    assert f"the run(s) of a, b {LOST}" in result.stdout


def test_restore_whose_run_cannot_be_recorded_exits_3(cli, blocked_state):
    env = {"CONF_STATE_DIR": str(blocked_state), "TASK_r_RESTORE": "1", "TASK_r_LOAD": "true"}
    result = cli("restore", env=env)
    assert result.returncode == 3, result.output
    assert f"the run(s) of r {LOST}" in result.stdout


def test_exec_on_a_full_state_disk_exits_3(work_dir, tmp_path):
    state = tmp_path / "full-state"
    env = {"CONF_STATE_DIR": str(state), "TASK_t_LOAD": "echo backed up"}
    result = on_a_full_disk(state, work_dir, ["exec", "t"], env)
    assert result.returncode == 3, result.output
    assert "run succeeded" in result.stdout
    assert f"[t] ERROR: cannot record the run in {state}: [Errno 28] No space left on device" in result.stdout
    assert f"the run(s) of t {LOST} {state}" in result.stdout


def test_a_recorded_run_exits_0(cli):
    assert cli("exec", "t", env={"TASK_t_LOAD": "true"}).returncode == 0
