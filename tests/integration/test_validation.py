"""What used to vanish or crash at run time is a configuration error at start-up, end to end: env-file
lines that cannot be parsed, values beyond what timers, URLs, file names and exec take, empty and
unknown settings. Exit code 2, every problem named, no traceback, nothing run, no record."""

from __future__ import annotations

from pathlib import Path

import pytest

SECRET = "s3cr3t-in-a-bad-line"


def assert_rejected(result, *expected: str) -> None:
    assert result.returncode == 2, result.output
    assert "configuration error(s); nothing was run" in result.stderr
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr, result.stderr


def assert_nothing_ran(marker: Path, state: Path) -> None:
    assert not marker.exists()
    assert not (state / "runs").exists()


@pytest.fixture
def state(work_dir: Path) -> Path:
    return work_dir.parent / "state"  # what conftest.base_env sets as CONF_STATE_DIR


# --- env files ----------------------------------------------------------------------------------


def test_check_names_every_bad_line_of_every_env_file(cli, tmp_path):
    good = tmp_path / "good.env"
    good.write_text("TASK_db_CRONTAB=@daily\nTASK_db_LOAD=true\n")
    bad = tmp_path / "bad.env"
    bad.write_text(f'TASK_x_LOAD=true\n\nPASSPHRASE="{SECRET}\nexport\n={SECRET}\nNAME {SECRET}\n')
    other = tmp_path / "other.env"
    other.write_text("# only this\nTASK_y_LOAD='echo\n")
    result = cli("--env-file", str(good), "--env-file", str(bad), "--env-file", str(other), "check")
    assert_rejected(
        result,
        "5 configuration error(s)",
        f"--env-file {bad}:3: PASSPHRASE: the value's opening \" is never closed",
        f"--env-file {bad}:4: 'export' without NAME=value",
        f"--env-file {bad}:5: no variable name before '='",
        f"--env-file {bad}:6: expected NAME=value",
        f"--env-file {other}:2: TASK_y_LOAD: the value's opening ' is never closed",
    )
    assert "configuration OK" not in result.output
    assert SECRET not in result.output


def test_exec_runs_nothing_while_an_env_file_line_is_bad(cli, tmp_path, state):
    marker = tmp_path / "ran"
    env_file = tmp_path / "backup.env"
    env_file.write_text(f"TASK_db_LOAD=touch {marker}\nTASK_other_LOAD='never closed\n")
    result = cli("--env-file", str(env_file), "exec", "db")
    assert_rejected(result, f"--env-file {env_file}:2: TASK_other_LOAD:")
    assert_nothing_ran(marker, state)


def test_env_file_problems_are_told_with_the_other_problems(cli, tmp_path):
    env_file = tmp_path / "backup.env"
    env_file.write_text("TASK_db_LOAD=true\nTASK_db_LOAD=false\n")
    result = cli("--env-file", str(env_file), "check", env={"TASK_db_CRONTAB": "61 * * * *"})
    assert_rejected(
        result,
        "2 configuration error(s)",
        f"--env-file {env_file}:2: TASK_db_LOAD: already set on line 1 of this file; keep one",
        "TASK_db_CRONTAB: '61 * * * *' is not a valid cron expression",
    )


# --- values beyond what the code can use ---------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TASK_db_TIMEOUT", "25d", "TASK_db_TIMEOUT: '25d' is too long: at most 24d"),
        ("TASK_db_TIMEOUT", "99999999999999999999d", "TASK_db_TIMEOUT: '99999999999999999999d' is too long"),
        ("CONF_STOP_GRACE", "30d", "CONF_STOP_GRACE: '30d' is too long: at most 24d"),
        ("TASK_db_MAX_AGE", "3651d", "TASK_db_MAX_AGE: '3651d' is too long: at most 3650d"),
        ("TASK_db_PING_URL", "https://hc-ping.com/abc def-uuid", "TASK_db_PING_URL: contains a space"),
        ("TASK_db_PING_URL", "http://h:99999/x", "TASK_db_PING_URL: is not a valid URL"),
        ("TASK_db_PING_URL", "http://:80/x", "TASK_db_PING_URL: has no valid host name"),
        ("CONF_WORK_DIR", "/" + "w" * 256, "CONF_WORK_DIR: has a folder name longer than 255 bytes"),
    ],
)
def test_a_value_the_runner_cannot_use_is_rejected_before_any_step(
    cli, tmp_path, state, variable, value, message
):
    marker = tmp_path / "ran"
    env = {"TASK_db_CRONTAB": "@daily", "TASK_db_LOAD": f"touch {marker}", variable: value}
    assert_rejected(cli("exec", "db", env=env), message)
    assert_nothing_ran(marker, state)
    assert_rejected(cli("run", env=env), message)


def test_a_task_id_too_long_for_a_folder_name_is_rejected(cli, tmp_path, state):
    marker = tmp_path / "ran"
    task_id = "t" * 65
    result = cli("exec", task_id, env={f"TASK_{task_id}_LOAD": f"touch {marker}"})
    assert_rejected(result, f"TASK_{task_id}_LOAD: task id is 65 characters long; at most 64")
    assert_nothing_ran(marker, state)


def test_a_variable_too_large_for_exec_is_named(cli, tmp_path, state):
    """Passed through an env file: in the process environment it would stop duplicity-cron itself."""
    marker = tmp_path / "ran"
    env_file = tmp_path / "big.env"
    env_file.write_text(f"TASK_db_LOAD=touch {marker}\nBIG_LIST={'x' * 200_000}\n")
    result = cli("--env-file", str(env_file), "exec", "db")
    assert_rejected(result, "BIG_LIST: NAME=value is 200,010 bytes with its NUL", "MAX_ARG_STRLEN")
    assert_nothing_ran(marker, state)


def test_a_secret_file_too_large_for_exec_names_the_secret(cli, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("p" * 140_000 + "\n")
    env = {"PASSPHRASE_FILE": str(secret), "TASK_db_LOAD": "true"}
    result = cli("check", env=env)
    assert_rejected(result, "PASSPHRASE: NAME=value is 140,012 bytes with its NUL")
    assert "p" * 50 not in result.output


def test_an_environment_over_the_budget_names_the_largest_variables(cli, tmp_path, state):
    marker = tmp_path / "ran"
    env_file = tmp_path / "many.env"
    lines = [f"TASK_db_LOAD=touch {marker}"] + [f"PART_{i}={str(i) * 120_000}" for i in range(9)]
    env_file.write_text("\n".join(lines) + "\n")
    result = cli("--env-file", str(env_file), "exec", "db")
    assert_rejected(result, "over the budget of 1,048,576 (1 MiB); the largest variables: PART_")
    assert_nothing_ran(marker, state)


# --- settings -----------------------------------------------------------------------------------


def test_an_empty_setting_is_an_error_not_the_default(cli, tmp_path, state):
    marker = tmp_path / "ran"
    env = {"CONF_STATE_DIR": "", "CONF_LOG_FORMAT": " ", "TASK_db_LOAD": f"touch {marker}"}
    result = cli("exec", "db", env=env)
    assert_rejected(
        result,
        "CONF_STATE_DIR: is empty; give it a value or unset it for the default (/var/lib/duplicity-cron)",
        "CONF_LOG_FORMAT: is empty",
    )
    assert_nothing_ran(marker, state)
    health = cli("healthcheck", env={"CONF_STATE_DIR": ""})
    assert health.returncode == 1
    assert health.stdout.startswith("unhealthy: CONF_STATE_DIR: is empty")


def test_an_unknown_setting_is_an_error_with_a_hint(cli, tmp_path):
    env = {"CONF_WORKDIR": str(tmp_path / "w"), "TASK_db_LOAD": "true"}
    result = cli("check", env=env)
    assert_rejected(result, "CONF_WORKDIR: unknown setting (did you mean CONF_WORK_DIR?); known settings: ")


def test_an_empty_tz_is_utc(cli):
    result = cli("check", env={"TZ": "", "TASK_db_LOAD": "true"})
    assert result.returncode == 0, result.output
