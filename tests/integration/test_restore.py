"""`duplicity-cron restore` and `execute-restore`: ordered by `<RESTORE>_<id>`, stop at the first failure."""

from __future__ import annotations

import subprocess

from .conftest import BIN_DIR, base_env


def restore_env(trace, fail: str | None = None) -> dict[str, str]:
    # Order by the string "<RESTORE>_<id>": "01_zeta" < "02_alpha" < "02_beta" < "10_first".
    tasks = {"alpha": "02", "beta": "02", "zeta": "01", "first": "10"}
    env = {}
    for task_id, prefix in tasks.items():
        env[f"TASK_{task_id}_RESTORE"] = prefix
        env[f"TASK_{task_id}_LOAD"] = f"echo {task_id} >> {trace}" + ("; exit 4" if task_id == fail else "")
        env[f"TASK_{task_id}_FINALLY"] = f"echo {task_id}-finally >> {trace}"
    env["TASK_backup_CRONTAB"] = "@daily"  # a scheduled task is not a restore task
    env["TASK_backup_LOAD"] = f"echo backup >> {trace}"
    return env


def test_restore_runs_restore_tasks_in_order(cli, tmp_path):
    trace = tmp_path / "trace"
    result = cli("restore", env=restore_env(trace))
    assert result.returncode == 0, result.output
    assert trace.read_text().split() == [
        "zeta", "zeta-finally", "alpha", "alpha-finally", "beta", "beta-finally", "first", "first-finally",
    ]  # fmt: skip
    assert "restore order: zeta, alpha, beta, first" in result.stdout


def test_restore_stops_at_the_first_failure(cli, tmp_path):
    trace = tmp_path / "trace"
    result = cli("restore", env=restore_env(trace, fail="alpha"))
    assert result.returncode == 1
    assert trace.read_text().split() == ["zeta", "zeta-finally", "alpha", "alpha-finally"]
    assert "not run: beta, first" in result.stdout


def test_execute_restore_is_the_same_command(work_dir, tmp_path):
    trace = tmp_path / "trace"
    proc = subprocess.run(
        [str(BIN_DIR / "execute-restore")],
        env=base_env(work_dir, restore_env(trace, fail="first")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert trace.read_text().split()[-2:] == ["first", "first-finally"]


def test_restore_without_restore_tasks_says_so(cli):
    result = cli("restore", env={"TASK_b_CRONTAB": "@daily", "TASK_b_LOAD": "true"})
    # Exit 2 and stderr (was 0 and stdout): automation must not believe a restore happened.
    assert result.returncode == 2
    assert "no restore task is defined" in result.stderr
