"""Commands and configuration errors, end to end: check, list, exec of another command, env files."""

from __future__ import annotations

import json
from datetime import datetime

import pytest


def test_configuration_errors_are_all_reported_and_nothing_runs(cli, tmp_path):
    marker = tmp_path / "ran"
    env = {
        "TASK_good_LOAD": f"touch {marker}",
        "TASK_good_CRONTAB": "@daily",
        "TASK_x_EXTARCT": "echo typo",
        "TASK_y_CRONTAB": "61 * * * *",
        "TASK_y_LOAD": "true",
        "TASK_z_PERIODICITY": "fortnightly",
        "TASK_z_LOAD": "true",
        "TASK_w_TIMEOUT": "soon",
        "TASK_w_LOAD": "true",
        "TASK_v_TZ": "Mars/Olympus",
        "TASK_v_LOAD": "true",
        "PASSPHRASE_FILE": str(tmp_path / "missing"),
    }
    for command in (["run"], ["exec", "good"], ["restore"], ["list"], ["check"], ["true"]):
        result = cli(*command, env=env)
        assert result.returncode == 2, (command, result.output)
        assert not marker.exists()
        err = result.stderr
        assert "6 configuration error(s); nothing was run" in err
        assert "TASK_x_EXTARCT: unknown key 'EXTARCT' (did you mean EXTRACT?)" in err
        assert "TASK_y_CRONTAB: '61 * * * *' is not a valid cron expression" in err
        assert "TASK_z_PERIODICITY: 'fortnightly' is not a periodicity" in err
        assert "TASK_w_TIMEOUT: 'soon' is not a duration" in err
        assert "TASK_v_TZ: 'Mars/Olympus' is not a known time zone" in err
        assert f"PASSPHRASE_FILE: cannot read {tmp_path / 'missing'}" in err


def test_check_accepts_a_good_configuration(cli):
    env = {"TASK_a_CRONTAB": "0 3 * * *", "TASK_a_LOAD": "true", "TASK_r_RESTORE": "1", "TASK_r_LOAD": "true"}
    result = cli("check", env=env)
    assert result.returncode == 0, result.output
    assert "configuration OK: 2 task(s), 1 scheduled, 1 restore" in result.stdout


def test_list_json_gives_schedule_zone_and_next_three_runs(cli):
    env = {
        "TZ": "Europe/Paris",
        "TASK_db_CRONTAB": "30 2 * * *",
        "TASK_db_TZ": "America/New_York",
        "TASK_db_LOAD": "true",
        "TASK_files_PERIODICITY": "weekly",
        "TASK_files_LOAD": "true",
        "TASK_back_RESTORE": "5",
        "TASK_back_LOAD": "true",
    }
    result = cli("list", "--json", env=env)
    assert result.returncode == 0, result.output
    tasks = {entry["task"]: entry for entry in json.loads(result.stdout)["tasks"]}
    assert tasks["db"]["schedule"] == "30 2 * * *" and tasks["db"]["timezone"] == "America/New_York"
    runs = [datetime.fromisoformat(moment) for moment in tasks["db"]["next_runs"]]
    assert len(runs) == 3 and runs == sorted(runs)
    assert all((run.hour, run.minute) == (2, 30) and run.utcoffset() is not None for run in runs)
    assert (
        tasks["files"]["schedule"] == "weekly (20 2 * * 0)" and tasks["files"]["timezone"] == "Europe/Paris"
    )
    assert all(
        datetime.fromisoformat(m).strftime("%a %H:%M") == "Sun 02:20" for m in tasks["files"]["next_runs"]
    )
    assert tasks["back"]["restore"] == "5" and tasks["back"]["next_runs"] == []


def test_list_text_is_a_table(cli):
    result = cli("list", env={"TASK_a_CRONTAB": "@hourly", "TASK_a_LOAD": "true", "TASK_b_LOAD": "true"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TASK", "SCHEDULE", "NEXT", "RUNS"]
    assert lines[1].startswith("a ") and "@hourly (0 * * * *) (UTC)" in lines[1]
    assert len(lines[1].split(", ")) == 3  # three next runs
    assert lines[2].startswith("b ") and "none (exec only)" in lines[2]


def test_other_commands_are_executed_after_validation(cli, tmp_path):
    secret_file = tmp_path / "pass"
    secret_file.write_text("s3cr3t-from-file\n")
    env = {"TASK_a_LOAD": "true", "PASSPHRASE_FILE": str(secret_file)}
    result = cli(
        "sh", "-c", 'echo "args=$0 $1"; test "$PASSPHRASE" = s3cr3t-from-file; exit 7', "x", "y", env=env
    )
    assert result.returncode == 7, result.output
    assert result.stdout == "args=x y\n"


def test_an_unknown_command_is_exit_127(cli):
    result = cli("no-such-command-here")
    assert result.returncode == 127
    assert "no-such-command-here: command not found" in result.stderr


def test_exec_of_an_unknown_task_is_a_usage_error(cli):
    result = cli("exec", "nope", env={"TASK_a_LOAD": "true"})
    assert result.returncode == 2
    assert "unknown task(s): nope (defined: a)" in result.stderr


@pytest.mark.parametrize("args", [["exec"], ["list", "--bogus"], ["check", "extra"]])
def test_bad_arguments_are_usage_errors(cli, args):
    assert cli(*args, env={"TASK_a_LOAD": "true"}).returncode == 2


def test_env_files_layer_over_the_environment(cli, tmp_path):
    out = tmp_path / "out"
    first = tmp_path / "first.env"
    first.write_text(f'# tasks\nTASK_a_LOAD=echo "$WHO $FROM" > {out}\nWHO=first\nFROM=file\n')
    second = tmp_path / "second.env"
    second.write_text("WHO='second'\n")
    result = cli("--env-file", str(first), f"--env-file={second}", "exec", "a", env={"FROM": "environment"})
    assert result.returncode == 0, result.output
    assert out.read_text() == "second file\n"


def test_a_missing_env_file_is_a_configuration_error(cli, tmp_path):
    result = cli("--env-file", str(tmp_path / "nope.env"), "check")
    assert result.returncode == 2
    assert "nope.env: no such file" in result.stderr


def test_help_and_version(cli):
    assert "exec TASK [TASK...]" in cli("--help").stdout
    assert cli("--version").stdout.startswith("duplicity-cron ")


def test_warnings_keep_json_output_clean(cli, tmp_path):
    secret_file = tmp_path / "pass"
    secret_file.write_text("from-file\n")
    env = {"PASSPHRASE": "set-directly", "PASSPHRASE_FILE": str(secret_file), "TASK_a_LOAD": "true"}
    result = cli("list", "--json", env=env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["tasks"][0]["task"] == "a"
    assert "PASSPHRASE_FILE: ignored because PASSPHRASE is set too" in result.stderr
    assert "set-directly" not in result.output


def test_healthcheck_never_exits_2(cli, tmp_path):
    result = cli("--env-file", str(tmp_path / "missing.env"), "healthcheck")
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: --env-file")
