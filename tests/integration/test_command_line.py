"""The command line itself: options before the command, usage errors, and what exit codes mean."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import BIN_DIR, base_env

USAGE_LINE = "usage: duplicity-cron [--env-file FILE]... [COMMAND [ARGS...]]"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--foo", "check"], "'--foo'"),
        (["-x", "list"], "'-x'"),
        (["--env", "x.env", "check"], "'--env'"),  # no abbreviations: --env is not --env-file
        (["--env-file", "/dev/null", "--json", "status"], "'--json'"),
        (["--foo"], "'--foo'"),
    ],
)
def test_an_unknown_global_option_is_a_usage_error(cli, tmp_path, args, option):
    marker = tmp_path / "ran"
    result = cli(*args, env={"TASK_a_LOAD": f"touch {marker}"})
    assert result.returncode == 2, result.output
    assert result.stderr.splitlines() == [
        f"duplicity-cron: unknown option {option} (options before the command: --env-file FILE, -h, "
        "--help, --version)",
        USAGE_LINE,
    ]
    assert "command not found" not in result.output and result.stdout == ""
    assert not marker.exists()


def test_env_file_without_its_file_is_a_usage_error(cli):
    result = cli("--env-file")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["duplicity-cron: --env-file needs a FILE", USAGE_LINE]


def test_help_and_version_after_an_env_file(cli, tmp_path):
    env_file = tmp_path / "a.env"
    env_file.write_text("TASK_a_LOAD=true\n")
    assert cli("--env-file", str(env_file), "--help").stdout.startswith(USAGE_LINE)
    assert cli("--env-file", str(env_file), "--version").stdout.startswith("duplicity-cron ")


def test_double_dash_ends_the_options(cli):
    result = cli("--", "--not-an-option")
    assert result.returncode == 127
    assert result.stderr == "duplicity-cron: --not-an-option: command not found\n"


def test_a_usage_error_of_healthcheck_is_unhealthy_not_2(cli):
    result = cli("--foo", "healthcheck")
    assert result.returncode == 1  # a container's HEALTHCHECK knows 0 and 1 only
    assert result.stdout.startswith("unhealthy: unknown option '--foo'")


def test_restore_without_restore_tasks_is_a_usage_error(cli, work_dir, tmp_path):
    marker = tmp_path / "ran"
    env = {"TASK_b_CRONTAB": "@daily", "TASK_b_LOAD": f"touch {marker}"}
    result = cli("restore", env=env)
    original = subprocess.run(  # the original image's name for it
        [str(BIN_DIR / "execute-restore")], env=base_env(work_dir, env), capture_output=True, text=True
    )
    for code, stderr in [(result.returncode, result.stderr), (original.returncode, original.stderr)]:
        assert code == 2
        assert stderr == (
            "duplicity-cron restore: no restore task is defined (set TASK_<id>_RESTORE on the tasks "
            "that restore); nothing was run\n"
        )
    assert not marker.exists()


def test_what_the_user_typed_is_shown_escaped(cli):
    result = cli("exec", "a\x1b[2Jb", env={"TASK_a_LOAD": "true"})
    assert result.returncode == 2
    assert result.stderr == "duplicity-cron exec: unknown task(s): a\\x1b[2Jb (defined: a)\n"
    result = cli("status", "a\x1b[2Jb", env={"TASK_a_LOAD": "true"})
    assert result.stderr == "duplicity-cron status: unknown task a\\x1b[2Jb (defined: a)\n"


def test_configuration_errors_are_shown_escaped(cli):
    result = cli("check", env={"TASK_x\x1b[2J_LOAD": "true"})
    assert result.returncode == 2
    assert "  - TASK_x\\x1b[2J_LOAD: task id" in result.stderr and "\x1b" not in result.stderr
