"""TIMEOUT: the running step's whole process group is stopped; failed and finally still run."""

from __future__ import annotations

import time
import uuid

from .conftest import processes_with


def test_timeout_kills_the_whole_process_tree_and_runs_the_hooks(cli, tmp_path):
    token = f"{uuid.uuid4().int % 10**6 + 1000000}"  # a unique `sleep` argument to find leftovers by
    trace = tmp_path / "trace"
    env = {
        "TASK_t_TIMEOUT": "1s",
        "TASK_t_LOAD": f"sleep {token} & bash -c 'sleep {token}' & sleep {token}; echo late >> {trace}",
        "TASK_t_SUCCEED": f"echo succeed >> {trace}",
        "TASK_t_FAILED": f'echo "failed $RUN_STATUS" >> {trace}',
        "TASK_t_FINALLY": f"echo finally >> {trace}",
    }
    started = time.monotonic()
    result = cli("exec", "t", env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.output
    assert trace.read_text().splitlines() == ["failed timed_out", "finally"]
    assert "run timed_out" in result.stdout
    assert "failed step load" in result.stdout
    assert "exit code 143" in result.stdout  # SIGTERM
    assert processes_with(f"sleep {token}") == []
    assert elapsed < 30  # bounded by the timeout, not by `sleep`


def test_a_step_that_ignores_sigterm_is_killed_after_the_grace(cli, tmp_path):
    token = f"{uuid.uuid4().int % 10**6 + 2000000}"
    env = {
        "TASK_t_TIMEOUT": "1",
        "TASK_t_LOAD": f"trap '' TERM; sleep {token}",
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert "run timed_out" in result.stdout
    assert "exit code 137" in result.stdout  # SIGKILL
    assert processes_with(f"sleep {token}") == []


def test_timeout_applies_to_the_whole_chain_not_each_step(cli, tmp_path):
    trace = tmp_path / "trace"
    env = {
        "TASK_t_TIMEOUT": "2s",
        "TASK_t_EXTRACT": f"sleep 1.2; echo extract >> {trace}",
        "TASK_t_LOAD": f"sleep 1.2; echo load >> {trace}",
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert trace.read_text().split() == ["extract"]
    assert "failed step load" in result.stdout


def test_background_jobs_left_by_a_step_are_ended_with_it(cli):
    token = f"{uuid.uuid4().int % 10**6 + 3000000}"
    result = cli("exec", "t", env={"TASK_t_LOAD": f"sleep {token} & echo started"})
    assert result.returncode == 0, result.output
    assert processes_with(f"sleep {token}") == []


def test_a_step_that_exits_0_on_sigterm_still_timed_out(cli, tmp_path):
    """A backup cut short by the timeout is not a success, even if it handles SIGTERM gracefully."""
    trace = tmp_path / "trace"
    env = {
        "TASK_t_TIMEOUT": "1",
        "TASK_t_LOAD": "trap 'exit 0' TERM; sleep 30 & wait",
        "TASK_t_SUCCEED": f"echo succeed >> {trace}",
        "TASK_t_FAILED": f'echo "failed $RUN_STATUS $RUN_EXIT_CODE" >> {trace}',
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert "run timed_out" in result.stdout and "exit code 143, failed step load" in result.stdout
    assert trace.read_text().splitlines() == ["failed timed_out 143"]
