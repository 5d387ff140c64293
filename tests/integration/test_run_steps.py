"""One run of a task through `duplicity-cron exec`: step order, hooks, exit status, work folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MAIN = ["prepare", "extract", "transform", "load", "succeed"]


def recording_steps(trace: Path, failing: str | None = None, code: int = 3) -> dict[str, str]:
    """Every step appends its name to `trace`; `failing` then exits with `code` (via `exit`, as users do)."""
    env = {}
    for step in [*MAIN, "failed", "finally"]:
        command = f"echo {step} >> {trace}"
        if step == failing:
            command += f"; exit {code}"
        env[f"TASK_t_{step.upper()}"] = command
    return env


def test_all_steps_succeed_in_order(cli, tmp_path):
    trace = tmp_path / "trace"
    result = cli("exec", "t", env=recording_steps(trace))
    assert result.returncode == 0, result.output
    assert trace.read_text().split() == [*MAIN, "finally"]
    assert "[t] run succeeded" in result.stdout


@pytest.mark.parametrize("failing", MAIN)
def test_a_failing_main_step_skips_the_rest_runs_failed_and_finally(cli, tmp_path, failing):
    trace = tmp_path / "trace"
    result = cli("exec", "t", env=recording_steps(trace, failing, code=3))
    assert result.returncode == 1, result.output
    expected = [*MAIN[: MAIN.index(failing) + 1], "failed", "finally"]
    assert trace.read_text().split() == expected
    assert "run failed in" in result.stdout
    assert f"exit code 3, failed step {failing}" in result.stdout


def test_a_failing_finally_fails_the_run(cli, tmp_path):
    trace = tmp_path / "trace"
    result = cli("exec", "t", env=recording_steps(trace, "finally", code=4))
    assert result.returncode == 1
    assert trace.read_text().split() == [*MAIN, "finally"]
    assert "exit code 4, failed step finally" in result.stdout


def test_a_failing_failed_hook_keeps_the_first_failure(cli, tmp_path):
    trace = tmp_path / "trace"
    env = recording_steps(trace, "load", code=5)
    env["TASK_t_FAILED"] = f"echo failed >> {trace}; exit 9"
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert trace.read_text().split() == ["prepare", "extract", "transform", "load", "failed", "finally"]
    assert "exit code 5, failed step load" in result.stdout


def test_missing_steps_are_no_ops(cli, tmp_path):
    trace = tmp_path / "trace"
    result = cli("exec", "t", env={"TASK_t_LOAD": f"echo load >> {trace}"})
    assert result.returncode == 0, result.output
    assert trace.read_text().split() == ["load"]


def test_hooks_learn_how_the_run_went(cli, tmp_path):
    out = tmp_path / "hooks"
    env = {
        "TASK_t_LOAD": "exit 6",
        "TASK_t_FAILED": f'echo "failed $RUN_STATUS $RUN_FAILED_STEP $RUN_EXIT_CODE" >> {out}',
        "TASK_t_FINALLY": f'echo "finally $RUN_STATUS" >> {out}',
    }
    assert cli("exec", "t", env=env).returncode == 1
    assert out.read_text().splitlines() == ["failed failed load 6", "finally failed"]


def test_killed_step_reports_128_plus_signal(cli):
    result = cli("exec", "t", env={"TASK_t_LOAD": "kill -KILL $$"})
    assert result.returncode == 1
    assert "exit code 137, failed step load" in result.stdout


def test_work_folders_are_emptied_between_runs_and_exported(cli, work_dir, tmp_path):
    seen = tmp_path / "seen"
    env = {
        "TASK_t_EXTRACT": f'echo "$PWD $SRC $DST $TASK_ID" > {seen}; ls -A "$SRC" "$DST" >> {seen}; '
        'touch "$SRC/old" "$DST/old"; mkdir -p "$SRC/sub/deeper"',
    }
    assert cli("exec", "t", env=env).returncode == 0
    first = seen.read_text()
    assert cli("exec", "t", env=env).returncode == 0
    second = seen.read_text()
    src, dst = work_dir / "t" / "src", work_dir / "t" / "dst"
    header = f"{work_dir} {src} {dst} t"
    # `ls -A` of two empty folders prints only their headers: nothing survived the previous run.
    assert first == second == f"{header}\n{dst}:\n\n{src}:\n"


def test_a_step_runs_with_bash_and_the_runner_environment(cli, tmp_path):
    out = tmp_path / "out"
    env = {"MY_SETTING": "from-env", "TASK_t_LOAD": f'[[ -n "$BASH_VERSION" ]] && echo "$MY_SETTING" > {out}'}
    assert cli("exec", "t", env=env).returncode == 0
    assert out.read_text() == "from-env\n"


def test_exec_runs_several_tasks_in_order_and_fails_if_any_failed(cli, tmp_path):
    trace = tmp_path / "trace"
    env = {
        "TASK_a_LOAD": f"echo a >> {trace}; exit 1",
        "TASK_b_LOAD": f"echo b >> {trace}",
    }
    result = cli("exec", "b", "a", "b", env=env)
    assert result.returncode == 1
    assert trace.read_text().split() == ["b", "a", "b"]


def test_output_lines_are_prefixed_with_time_task_and_step(cli):
    result = cli("exec", "my_db", env={"TASK_my_db_LOAD": "echo to-stdout; echo to-stderr >&2"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    out = next(line for line in lines if line.endswith("to-stdout"))
    err = next(line for line in lines if line.endswith("to-stderr"))
    assert " [my_db/load] to-stdout" in out and out[:4].isdigit()
    assert " [my_db/load]! to-stderr" in err
    assert lines[-1].split(" ", 1)[1].startswith("[my_db] run succeeded in")


def test_json_log_format_has_one_object_per_line(cli):
    env = {"CONF_LOG_FORMAT": "json", "TASK_t_LOAD": "echo hello; exit 2"}
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    output = next(r for r in records if r.get("message") == "hello")
    assert output["task"] == "t" and output["step"] == "load" and output["stream"] == "stdout"
    summary = records[-1]
    assert summary["event"] == "run_finished"
    assert summary["status"] == "failed" and summary["exit_code"] == 2 and summary["failed_step"] == "load"
    assert isinstance(summary["duration"], float)


def test_a_secret_split_by_the_64_kib_line_cut_does_not_show(cli):
    secret = "CANARYSECRET123456"
    # The line is cut at 65,536 bytes, in the middle of the secret.
    env = {"MY_PASSWORD": secret, "TASK_t_LOAD": 'printf "%065530d%s%s\\n" 0 "$MY_PASSWORD" tail; echo next'}
    result = cli("exec", "t", env=env)
    assert result.returncode == 0, result.output[-500:]
    assert "CANARYS" not in result.stdout and "123456" not in result.stdout
    cut_line = next(line for line in result.stdout.splitlines() if "[cut:" in line)
    assert cut_line.endswith("0***" + " [cut: the line was longer than 64 KiB]")
    assert result.stdout.splitlines()[-2].endswith("[t/load] next")
