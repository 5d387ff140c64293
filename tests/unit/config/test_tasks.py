"""TASK_<id>_<KEY> parsing and validation: every configuration error names its variable."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import pytest

from duplicity_cron import cli
from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.task_variables import split_task_variable

STEP = {"TASK_t_LOAD": "true"}


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    return info.value.problems


def single_problem(env: dict[str, str]) -> str:
    problems = problems_of(env)
    assert len(problems) == 1, problems
    return problems[0]


# --- ids and keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "task_id", "key"),
    [
        ("TASK_db_LOAD", "db", "LOAD"),
        ("TASK_my_db_LOAD", "my_db", "LOAD"),
        ("TASK_a_b_c_EXTRACT", "a_b_c", "EXTRACT"),
        ("TASK_x_load", "x", "LOAD"),
        ("TASK_x_Crontab", "x", "CRONTAB"),
        ("TASK_my_db_periodicity", "my_db", "PERIODICITY"),
        ("TASK_load_db_PREPARE", "load_db", "PREPARE"),
        ("TASK_LOAD_LOAD", "LOAD", "LOAD"),
        ("TASK_pg_restore_RESTORE", "pg_restore", "RESTORE"),
        ("TASK_eu_db_TZ", "eu_db", "TZ"),
        ("TASK_x_TIMEOUT", "x", "TIMEOUT"),
    ],
)
def test_split_takes_the_known_key_suffix_case_insensitively(name: str, task_id: str, key: str) -> None:
    assert split_task_variable(name) == (task_id, key)


@pytest.mark.parametrize("name", ["TASK_x_FOO", "TASK_x", "TASK_x_LOADS", "TASK_LOAD"])
def test_split_without_a_known_key_suffix_is_none(name: str) -> None:
    assert split_task_variable(name) is None


def test_id_with_underscores_gathers_all_its_variables() -> None:
    config = parse_config(
        {
            "TASK_my_db_PREPARE": "echo prepare",
            "TASK_my_db_LOAD": "echo load",
            "TASK_my_db_CRONTAB": "0 4 * * *",
            "TASK_my_FINALLY": "echo other task",
        }
    )
    assert set(config.tasks) == {"my_db", "my"}
    my_db = config.tasks["my_db"]
    assert my_db.steps == {"prepare": "echo prepare", "load": "echo load"}
    assert my_db.schedule is not None
    assert my_db.schedule.expression == "0 4 * * *"
    assert config.tasks["my"].steps == {"finally": "echo other task"}


def test_keys_are_case_insensitive() -> None:
    config = parse_config(
        {
            "TASK_x_prepare": "p",
            "TASK_x_Extract": "e",
            "TASK_x_transform": "t",
            "TASK_x_load": "l",
            "TASK_x_succeed": "s",
            "TASK_x_failed": "f",
            "TASK_x_finally": "z",
            "TASK_x_periodicity": "daily",
            "TASK_x_timeout": "30m",
            "TASK_x_tz": "Europe/Paris",
        }
    )
    task = config.tasks["x"]
    assert task.steps == {
        "prepare": "p",
        "extract": "e",
        "transform": "t",
        "load": "l",
        "succeed": "s",
        "failed": "f",
        "finally": "z",
    }
    assert task.timeout == 1800
    assert task.schedule is not None
    assert task.schedule.expression == "10 1 * * *"
    assert task.schedule.timezone == ZoneInfo("Europe/Paris")


def test_same_key_twice_in_different_case_is_an_error() -> None:
    problem = single_problem({"TASK_x_LOAD": "a", "TASK_x_load": "b"})
    assert "TASK_x_load" in problem
    assert "TASK_x_LOAD" in problem


def test_other_variables_and_task_id_are_ignored() -> None:
    config = parse_config({**STEP, "PATH": "/bin", "TASKS": "x", "TASK_ID": "t", "PASSPHRASE": "p"})
    assert set(config.tasks) == {"t"}


def test_task_without_schedule_or_restore_is_defined_but_not_scheduled() -> None:
    config = parse_config({"TASK_manual_LOAD": "echo hi"})
    assert config.tasks["manual"].schedule is None
    assert config.tasks["manual"].restore is None
    assert config.scheduled_tasks == []
    assert config.restore_tasks == []


def test_restore_tasks_are_ordered_by_the_string_prefix_underscore_id() -> None:
    config = parse_config(
        {
            "TASK_b_RESTORE": "1",
            "TASK_b_LOAD": "x",
            "TASK_a_RESTORE": "2",
            "TASK_a_LOAD": "x",
            "TASK_c_RESTORE": "10",
            "TASK_c_LOAD": "x",
            "TASK_a1_RESTORE": "1",
            "TASK_a1_LOAD": "x",
        }
    )
    # "10_c" < "1_a1" < "1_b" < "2_a" as strings, as the original's file names sort.
    assert [task.id for task in config.restore_tasks] == ["c", "a1", "b", "a"]


def test_defaults_and_conf_settings() -> None:
    config = parse_config(STEP)
    assert config.work_dir == PurePosixPath("/workdir")
    assert config.timezone == UTC
    assert config.log_format == "text"
    assert config.stop_grace == 8
    config = parse_config(
        {**STEP, "CONF_WORK_DIR": "/data/work", "CONF_LOG_FORMAT": "json", "CONF_STOP_GRACE": "20s"}
    )
    assert config.work_dir == PurePosixPath("/data/work")
    assert config.log_format == "json"
    assert config.stop_grace == 20


# --- validation errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("TASK_x_EXTARCT", "EXTRACT"),
        ("TASK_x_LAOD", "LOAD"),
        ("TASK_x_PERIODICTY", "PERIODICITY"),
        ("TASK_my_db_PREPAER", "PREPARE"),
        ("TASK_x_finaly", "FINALLY"),
        ("TASK_x_CRONTABS", "CRONTAB"),
        ("TASK_x_SUCCEDED", "SUCCEED"),
    ],
)
def test_unknown_key_near_a_known_one_gets_a_hint(name: str, suggestion: str) -> None:
    problem = single_problem({name: "echo", **STEP})
    assert problem.startswith(f"{name}:")
    assert "unknown key" in problem
    assert f"did you mean {suggestion}?" in problem


def test_unknown_key_far_from_any_gets_no_hint() -> None:
    problem = single_problem({"TASK_x_BANANA": "echo", **STEP})
    assert problem.startswith("TASK_x_BANANA:")
    assert "unknown key" in problem
    assert "did you mean" not in problem


def test_task_variable_without_key_is_an_error() -> None:
    problem = single_problem({"TASK_x": "echo", **STEP})
    assert problem.startswith("TASK_x:")


@pytest.mark.parametrize(
    "expression",
    [
        "61 * * * *",
        "0 25 * * *",
        "* * 32 * *",
        "* * * 13 *",
        "* * * * 8",
        "* * *",
        "* * * * * * *",
        "every day",
        "@often",
        "0 0 30 2 *",
    ],
)
def test_bad_cron_expression_names_the_variable_and_the_expression(expression: str) -> None:
    problem = single_problem({"TASK_x_CRONTAB": expression, "TASK_x_LOAD": "true"})
    assert problem.startswith("TASK_x_CRONTAB:")
    assert expression in problem


@pytest.mark.parametrize("value", ["yearly", "every day", "minutely", "day"])
def test_unknown_periodicity(value: str) -> None:
    problem = single_problem({"TASK_x_PERIODICITY": value, "TASK_x_LOAD": "true"})
    assert problem.startswith("TASK_x_PERIODICITY:")
    assert value in problem
    assert "hourly" in problem  # says what is accepted


def test_crontab_and_periodicity_together() -> None:
    problem = single_problem(
        {"TASK_x_CRONTAB": "0 1 * * *", "TASK_x_PERIODICITY": "daily", "TASK_x_LOAD": "true"}
    )
    assert problem.startswith(("TASK_x_CRONTAB:", "TASK_x_PERIODICITY:"))
    assert "CRONTAB" in problem.split(":", 1)[1]
    assert "PERIODICITY" in problem


@pytest.mark.parametrize("value", ["Mars/Olympus", "Europe/Pariss", "CEST+25", "../etc/passwd"])
def test_invalid_global_tz(value: str) -> None:
    problem = single_problem({"TZ": value, **STEP})
    assert problem.startswith("TZ:")
    assert value in problem


@pytest.mark.parametrize("value", ["Mars/Olympus", "Europe/Pariss"])
def test_invalid_task_tz(value: str) -> None:
    problem = single_problem({"TASK_x_TZ": value, "TASK_x_CRONTAB": "@daily", "TASK_x_LOAD": "true"})
    assert problem.startswith("TASK_x_TZ:")
    assert value in problem


@pytest.mark.parametrize("value", ["Europe/Paris", "America/New_York", "UTC", "Etc/UTC", "Asia/Kolkata"])
def test_valid_time_zones(value: str) -> None:
    config = parse_config({"TZ": value, "TASK_x_TZ": value, "TASK_x_CRONTAB": "@daily", "TASK_x_LOAD": "l"})
    assert config.tasks["x"].schedule is not None


@pytest.mark.parametrize("value", ["soon", "10x", "-5", "1h 30", "h", "0"])
def test_unparsable_timeout(value: str) -> None:
    problem = single_problem({"TASK_x_TIMEOUT": value, "TASK_x_LOAD": "true"})
    assert problem.startswith("TASK_x_TIMEOUT:")


@pytest.mark.parametrize(("value", "seconds"), [("45", 45), ("90s", 90), ("30m", 1800), ("2h", 7200)])
def test_timeout_values(value: str, seconds: float) -> None:
    assert parse_config({"TASK_x_TIMEOUT": value, "TASK_x_LOAD": "l"}).tasks["x"].timeout == seconds


@pytest.mark.parametrize("key", ["CRONTAB", "PERIODICITY", "TIMEOUT", "TZ"])
def test_empty_setting_is_an_error_not_a_silent_default(key: str) -> None:
    problem = single_problem({f"TASK_x_{key}": "  ", "TASK_x_LOAD": "true"})
    assert problem.startswith(f"TASK_x_{key}:")


def test_invalid_task_id() -> None:
    problem = single_problem({"TASK_-x_LOAD": "true"})
    assert problem.startswith("TASK_-x_LOAD:")


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONF_LOG_FORMAT", "xml"), ("CONF_STOP_GRACE", "later"), ("CONF_WORK_DIR", "relative/dir")],
)
def test_bad_conf_settings(name: str, value: str) -> None:
    problem = single_problem({name: value, **STEP})
    assert problem.startswith(f"{name}:")


def test_all_errors_are_reported_together() -> None:
    env = {
        "TZ": "Mars/Olympus",
        "TASK_a_EXTARCT": "x",
        "TASK_a_LOAD": "x",
        "TASK_b_CRONTAB": "61 * * * *",
        "TASK_b_LOAD": "x",
        "TASK_c_PERIODICITY": "yearly",
        "TASK_c_LOAD": "x",
        "TASK_d_CRONTAB": "@daily",
        "TASK_d_PERIODICITY": "daily",
        "TASK_d_LOAD": "x",
        "TASK_e_TZ": "Nowhere/Town",
        "TASK_e_LOAD": "x",
        "TASK_f_TIMEOUT": "forever",
        "TASK_f_LOAD": "x",
        "TASK_ok_LOAD": "x",
    }
    problems = problems_of(env)
    assert len(problems) == 7, problems
    prefixes = sorted(problem.split(":", 1)[0] for problem in problems)
    assert prefixes[0] == "TASK_a_EXTARCT"
    assert "TASK_b_CRONTAB" in prefixes
    assert "TASK_c_PERIODICITY" in prefixes
    assert any(p in prefixes for p in ("TASK_d_CRONTAB", "TASK_d_PERIODICITY"))
    assert "TASK_e_TZ" in prefixes
    assert "TASK_f_TIMEOUT" in prefixes
    assert "TZ" in prefixes
    assert "did you mean EXTRACT?" in problems[[p.split(":")[0] for p in problems].index("TASK_a_EXTARCT")]


# --- the command reports environment and task problems together, and runs nothing ---------------


def _use_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    monkeypatch.setattr(os, "environ", {**base, **env})


def test_check_reports_unreadable_secret_file_with_task_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    missing = tmp_path / "missing-passphrase"
    _use_environment(
        monkeypatch,
        {
            "PASSPHRASE_FILE": str(missing),
            "TASK_a_EXTARCT": "x",
            "TASK_b_CRONTAB": "61 * * * *",
            "TASK_b_LOAD": "x",
        },
    )
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err
    assert "PASSPHRASE_FILE" in err
    assert str(missing) in err
    assert "TASK_a_EXTARCT" in err
    assert "did you mean EXTRACT?" in err
    assert "TASK_b_CRONTAB" in err


def test_nothing_runs_while_any_task_is_invalid(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    marker = tmp_path / "ran"
    _use_environment(
        monkeypatch,
        {
            "CONF_WORK_DIR": str(tmp_path / "work"),
            "TASK_good_LOAD": f"touch {marker}",
            "TASK_bad_CRONTAB": "not cron",
            "TASK_bad_LOAD": "true",
        },
    )
    assert cli.main(["exec", "good"]) == 2
    assert not marker.exists()


def test_per_task_tz_overrides_global_tz() -> None:
    config = parse_config(
        {
            "TZ": "Europe/Paris",
            "TASK_paris_CRONTAB": "0 9 * * *",
            "TASK_paris_LOAD": "x",
            "TASK_ny_CRONTAB": "0 9 * * *",
            "TASK_ny_TZ": "America/New_York",
            "TASK_ny_LOAD": "x",
        }
    )
    assert config.timezone == ZoneInfo("Europe/Paris")
    start = datetime(2026, 1, 15, tzinfo=UTC)
    paris, ny = config.tasks["paris"].schedule, config.tasks["ny"].schedule
    assert paris is not None and ny is not None
    assert paris.next_after(start) == datetime(2026, 1, 15, 8, tzinfo=UTC)
    assert ny.next_after(start) == datetime(2026, 1, 15, 14, tzinfo=UTC)


def test_schedule_is_in_utc_when_tz_is_unset() -> None:
    config = parse_config({"TASK_x_CRONTAB": "0 9 * * *", "TASK_x_LOAD": "l"})
    schedule = config.tasks["x"].schedule
    assert schedule is not None
    assert schedule.next_after(datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 7, 1, 9, tzinfo=UTC)
