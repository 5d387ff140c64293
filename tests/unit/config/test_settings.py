"""The monitoring variables: TASK_<id>_MAX_AGE/NOTIFY_URLS/NOTIFY_ON/PING_URL and CONF_NOTIFY_URLS,
CONF_NOTIFY_ON, CONF_STATE_DIR, CONF_METRICS_PORT; every bad value is an error naming its variable."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.config.settings import DEFAULT_STATE_DIR
from duplicity_cron.config.task_variables import split_task_variable
from duplicity_cron.config.values import split_urls

from .test_tasks import problems_of, single_problem

TASK = {"TASK_db_LOAD": "true", "TASK_db_CRONTAB": "0 3 * * *"}
EXEC_ONLY = {"TASK_db_LOAD": "true"}


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "task_id", "key"),
    [
        ("TASK_x_NOTIFY_ON", "x", "NOTIFY_ON"),
        ("TASK_x_notify_on", "x", "NOTIFY_ON"),
        ("TASK_my_db_NOTIFY_ON", "my_db", "NOTIFY_ON"),
        ("TASK_x_NOTIFY_URLS", "x", "NOTIFY_URLS"),
        ("TASK_my_db_NOTIFY_URLS", "my_db", "NOTIFY_URLS"),
        ("TASK_x_PING_URL", "x", "PING_URL"),
        ("TASK_x_MAX_AGE", "x", "MAX_AGE"),
        ("TASK_db_max_age", "db", "MAX_AGE"),
        ("TASK_notify_NOTIFY_ON", "notify", "NOTIFY_ON"),
    ],
)
def test_monitoring_keys_take_the_longest_suffix(name: str, task_id: str, key: str) -> None:
    assert split_task_variable(name) == (task_id, key)


# --- MAX_AGE ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"), [("90m", 5400), ("26h", 93600), ("8d", 691200), ("3600", 3600)]
)
def test_max_age_is_a_duration(value: str, seconds: float) -> None:
    task = parse_config({**TASK, "TASK_db_MAX_AGE": value}).tasks["db"]
    assert task.max_age == seconds


def test_max_age_unset_is_none_for_the_default() -> None:
    assert parse_config(TASK).tasks["db"].max_age is None


@pytest.mark.parametrize("value", ["soon", "-1h", "0", "1 day", "h"])
def test_bad_max_age_names_the_variable(value: str) -> None:
    assert single_problem({**TASK, "TASK_db_MAX_AGE": value}).startswith("TASK_db_MAX_AGE")


def test_max_age_without_a_schedule_is_an_error() -> None:
    problem = single_problem({**EXEC_ONLY, "TASK_db_MAX_AGE": "26h"})
    assert "TASK_db_MAX_AGE" in problem
    assert "schedule" in problem


def test_max_age_on_a_restore_task_is_an_error() -> None:
    problem = single_problem({"TASK_r_LOAD": "true", "TASK_r_RESTORE": "10", "TASK_r_MAX_AGE": "1d"})
    assert "TASK_r_MAX_AGE" in problem


def test_max_age_with_a_periodicity_is_fine() -> None:
    env = {"TASK_db_LOAD": "true", "TASK_db_PERIODICITY": "daily", "TASK_db_MAX_AGE": "2d"}
    assert parse_config(env).tasks["db"].max_age == 172800


# --- NOTIFY_URLS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "urls"),
    [
        ("json://h/x", ("json://h/x",)),
        ("json://h/x ntfy://topic", ("json://h/x", "ntfy://topic")),
        ("json://h/x,ntfy://topic", ("json://h/x", "ntfy://topic")),
        (
            "json://h/x, ntfy://topic ,mailto://u:p@e.com",
            ("json://h/x", "ntfy://topic", "mailto://u:p@e.com"),
        ),
        ("  json://h/x \n\t ntfy://topic  ", ("json://h/x", "ntfy://topic")),
        ("json://h/x,,ntfy://topic,", ("json://h/x", "ntfy://topic")),
    ],
)
def test_notify_urls_split_on_spaces_and_commas(value: str, urls: tuple[str, ...]) -> None:
    assert split_urls(value) == urls
    assert parse_config({**TASK, "TASK_db_NOTIFY_URLS": value}).tasks["db"].notify_urls == urls
    assert parse_config({**TASK, "CONF_NOTIFY_URLS": value}).notify_urls == urls


def test_notify_urls_on_an_exec_only_task_are_fine() -> None:
    config = parse_config({**EXEC_ONLY, "TASK_db_NOTIFY_URLS": "ntfy://topic"})
    assert config.tasks["db"].notify_urls == ("ntfy://topic",)


def test_notify_urls_default_to_none() -> None:
    config = parse_config(TASK)
    assert config.notify_urls == ()
    assert config.tasks["db"].notify_urls == ()


# --- NOTIFY_ON ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["failure", "always", "never"])
def test_notify_on_values(value: str) -> None:
    assert parse_config({**TASK, "TASK_db_NOTIFY_ON": value}).tasks["db"].notify_on == value
    assert parse_config({**TASK, "CONF_NOTIFY_ON": value}).notify_on == value


def test_notify_on_defaults() -> None:
    config = parse_config(TASK)
    assert config.notify_on == "failure"
    assert config.notify_on_for(config.tasks["db"]) == "failure"


@pytest.mark.parametrize("value", ["sometimes", "failed", "on-failure", "yes", "success"])
def test_bad_task_notify_on_names_the_variable(value: str) -> None:
    problem = single_problem({**TASK, "TASK_db_NOTIFY_ON": value})
    assert problem.startswith("TASK_db_NOTIFY_ON")
    assert value in problem


@pytest.mark.parametrize("value", ["sometimes", "failed", "all"])
def test_bad_conf_notify_on_names_the_variable(value: str) -> None:
    problem = single_problem({**TASK, "CONF_NOTIFY_ON": value})
    assert problem.startswith("CONF_NOTIFY_ON")


def test_notify_on_is_not_mistaken_for_another_key() -> None:
    config = parse_config({**TASK, "TASK_db_NOTIFY_ON": "never"})
    assert set(config.tasks) == {"db"}
    assert config.tasks["db"].notify_on == "never"


# --- PING_URL -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "https://hc-ping.com/0f6c1c2e-1111-2222-3333-444455556666",
        "http://127.0.0.1:3001/api/push/AbCdEf",
        "https://cronitor.link/p/key/job",
    ],
)
def test_ping_url_http_or_https(value: str) -> None:
    assert parse_config({**TASK, "TASK_db_PING_URL": value}).tasks["db"].ping_url == value


def test_ping_url_trailing_slash_keeps_the_url() -> None:
    url = parse_config({**TASK, "TASK_db_PING_URL": "https://hc-ping.com/uuid/"}).tasks["db"].ping_url
    assert url is not None
    assert url.rstrip("/") == "https://hc-ping.com/uuid"


@pytest.mark.parametrize(
    "value",
    ["ftp://example.com/x", "hc-ping.com/uuid", "json://127.0.0.1/x", "https://", "mailto:me@example.com"],
)
def test_bad_ping_url_names_the_variable(value: str) -> None:
    assert single_problem({**TASK, "TASK_db_PING_URL": value}).startswith("TASK_db_PING_URL")


def test_ping_url_defaults_to_none() -> None:
    assert parse_config(TASK).tasks["db"].ping_url is None


# --- CONF_STATE_DIR and CONF_METRICS_PORT -------------------------------------------------------


def test_state_dir_default_and_absolute() -> None:
    assert (
        parse_config(TASK).state_dir
        == PurePosixPath(DEFAULT_STATE_DIR)
        == PurePosixPath("/var/lib/duplicity-cron")
    )
    assert parse_config({**TASK, "CONF_STATE_DIR": "/data/state"}).state_dir == PurePosixPath("/data/state")


@pytest.mark.parametrize("value", ["state", "./state", "var/lib/x", "~/state"])
def test_relative_state_dir_names_the_variable(value: str) -> None:
    assert single_problem({**TASK, "CONF_STATE_DIR": value}).startswith("CONF_STATE_DIR")


@pytest.mark.parametrize(("value", "port"), [("1", 1), ("9100", 9100), ("65535", 65535)])
def test_metrics_port(value: str, port: int) -> None:
    assert parse_config({**TASK, "CONF_METRICS_PORT": value}).metrics_port == port


def test_metrics_port_unset_is_none() -> None:
    assert parse_config(TASK).metrics_port is None


@pytest.mark.parametrize("value", ["0", "65536", "-1", "http", "91.5", "1e3", "99999999"])
def test_bad_metrics_port_names_the_variable(value: str) -> None:
    assert single_problem({**TASK, "CONF_METRICS_PORT": value}).startswith("CONF_METRICS_PORT")


def test_every_bad_monitoring_variable_is_reported_at_once() -> None:
    env = {
        **TASK,
        "TASK_db_MAX_AGE": "whenever",
        "TASK_db_NOTIFY_ON": "sometimes",
        "TASK_db_PING_URL": "ftp://x/y",
        "CONF_NOTIFY_ON": "often",
        "CONF_STATE_DIR": "relative",
        "CONF_METRICS_PORT": "0",
    }
    problems = problems_of(env)
    for variable in (
        "TASK_db_MAX_AGE",
        "TASK_db_NOTIFY_ON",
        "TASK_db_PING_URL",
        "CONF_NOTIFY_ON",
        "CONF_STATE_DIR",
        "CONF_METRICS_PORT",
    ):
        assert sum(problem.startswith(variable) for problem in problems) == 1, (variable, problems)


# --- per-task notification settings -------------------------------------------------------------


def test_task_urls_add_to_the_global_ones() -> None:
    config = parse_config(
        {
            **TASK,
            "TASK_other_LOAD": "true",
            "CONF_NOTIFY_URLS": "ntfy://everyone json://127.0.0.1:9/all",
            "TASK_db_NOTIFY_URLS": "mailto://u:p@example.com",
        }
    )
    db = config.notify_urls_for(config.tasks["db"])
    assert set(db) == {"ntfy://everyone", "json://127.0.0.1:9/all", "mailto://u:p@example.com"}
    assert len(db) == 3
    assert config.notify_urls_for(config.tasks["other"]) == ("ntfy://everyone", "json://127.0.0.1:9/all")


def test_task_urls_alone() -> None:
    config = parse_config({**TASK, "TASK_db_NOTIFY_URLS": "ntfy://mine"})
    assert config.notify_urls_for(config.tasks["db"]) == ("ntfy://mine",)


def test_no_urls_anywhere() -> None:
    config = parse_config(TASK)
    assert config.notify_urls_for(config.tasks["db"]) == ()


@pytest.mark.parametrize(
    ("conf", "task", "expected"),
    [
        (None, None, "failure"),
        ("always", None, "always"),
        ("never", None, "never"),
        (None, "always", "always"),
        ("always", "never", "never"),
        ("never", "always", "always"),
        ("always", "failure", "failure"),
        ("never", "failure", "failure"),
    ],
)
def test_the_tasks_notify_on_governs(conf: str | None, task: str | None, expected: str) -> None:
    env = {**TASK, "TASK_other_LOAD": "true"}
    if conf:
        env["CONF_NOTIFY_ON"] = conf
    if task:
        env["TASK_db_NOTIFY_ON"] = task
    config = parse_config(env)
    assert config.notify_on_for(config.tasks["db"]) == expected
    assert config.notify_on_for(config.tasks["other"]) == (conf or "failure")


@pytest.mark.parametrize(
    ("value", "seconds"), [("0", 0.0), ("0s", 0.0), ("1", 1.0), ("90s", 90.0), ("2m", 120.0)]
)
def test_progress_interval_is_a_duration_or_zero(value: str, seconds: float) -> None:
    config = parse_config({"CONF_PROGRESS_INTERVAL": value})
    assert config.progress_interval == seconds
    assert config.backup_progress_interval == seconds  # set: built-in backups too


def test_progress_interval_defaults_to_a_minute_and_rejects_nonsense() -> None:
    assert parse_config({}).progress_interval == 60.0
    assert parse_config({}).backup_progress_interval == 0.0  # unset: no dry pass before each backup
    assert "CONF_PROGRESS_INTERVAL" in single_problem({"CONF_PROGRESS_INTERVAL": "often"})


def test_restore_timeout_defaults_to_twelve_hours_and_rejects_nonsense() -> None:
    assert parse_config({}).restore_timeout == 12 * 3600.0
    assert parse_config({"CONF_RESTORE_TIMEOUT": "90m"}).restore_timeout == 5400.0
    for bad in ("soon", "0", "-1h", "400d"):
        assert "CONF_RESTORE_TIMEOUT" in single_problem({"CONF_RESTORE_TIMEOUT": bad}), bad


def test_restore_jobs_default_to_one_and_reject_nonsense() -> None:
    assert parse_config({}).restore_jobs == 1  # one script into one client: no faster on 2 cores
    assert parse_config({"CONF_RESTORE_JOBS": "auto"}).restore_jobs == 0  # the CPUs (load_jobs)
    assert parse_config({"CONF_RESTORE_JOBS": "4"}).restore_jobs == 4
    for bad in ("many", "0", "-2", "65", "2.5"):
        assert "CONF_RESTORE_JOBS" in single_problem({"CONF_RESTORE_JOBS": bad}), bad


def test_docker_labels_default_to_auto_and_reject_nonsense() -> None:
    assert parse_config({}).docker_labels == "auto"
    assert parse_config({"CONF_DOCKER_LABELS": " ON "}).docker_labels == "on"
    assert parse_config({"CONF_DOCKER_LABELS": "off"}).docker_labels == "off"
    for bad in ("yes", "docker"):
        problem = single_problem({"CONF_DOCKER_LABELS": bad})
        assert "CONF_DOCKER_LABELS" in problem and "auto, on, off" in problem, bad
    assert "CONF_DOCKER_LABELS: is empty" in single_problem({"CONF_DOCKER_LABELS": ""})
