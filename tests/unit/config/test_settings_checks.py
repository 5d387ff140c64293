"""`CONF_*` variables are judged like task keys: an empty one is an error, not the default; an unknown
one is an error with a hint, not ignored. TZ keeps its meaning: empty is UTC."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path, PurePosixPath

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.settings import DEFAULT_STATE_DIR, KNOWN_SETTINGS, SETTINGS, state_dir_of

from .test_tasks import problems_of, single_problem

STEP = {"TASK_t_LOAD": "true"}
ROOT = Path(__file__).resolve().parents[3]


def test_the_known_settings_are_every_conf_row() -> None:
    assert tuple(s.variable for s in SETTINGS if s.variable != "TZ") == KNOWN_SETTINGS
    assert all(name.startswith("CONF_") for name in KNOWN_SETTINGS)


@pytest.mark.parametrize("name", KNOWN_SETTINGS)
@pytest.mark.parametrize("value", ["", "  ", "\t\n"])
def test_an_empty_setting_is_an_error_not_the_default(name: str, value: str) -> None:
    problem = single_problem({**STEP, name: value})
    assert problem.startswith(f"{name}: is empty; give it a value or unset it for the default (")


def test_an_empty_state_dir_names_the_default_it_would_have_used() -> None:
    problem = single_problem({**STEP, "CONF_STATE_DIR": ""})
    assert (
        problem
        == f"CONF_STATE_DIR: is empty; give it a value or unset it for the default ({DEFAULT_STATE_DIR})"
    )


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_tz_is_still_utc(value: str) -> None:
    assert parse_config({**STEP, "TZ": value}).timezone == UTC


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("CONF_WORKDIR", "CONF_WORK_DIR"),
        ("CONF_STATEDIR", "CONF_STATE_DIR"),
        ("CONF_STOP_GRACE_PERIOD", "CONF_STOP_GRACE"),
        ("CONF_NOTIFY_URL", "CONF_NOTIFY_URLS"),
        ("CONF_LOGFORMAT", "CONF_LOG_FORMAT"),
        ("CONF_METRIC_PORT", "CONF_METRICS_PORT"),
        ("conf_state_dir", "CONF_STATE_DIR"),
        ("Conf_Work_Dir", "CONF_WORK_DIR"),
    ],
)
def test_an_unknown_setting_near_a_known_one_gets_a_hint(name: str, suggestion: str) -> None:
    problem = single_problem({**STEP, name: "/data"})
    assert problem == (
        f"{name}: unknown setting (did you mean {suggestion}?); known settings: {', '.join(KNOWN_SETTINGS)}"
    )


@pytest.mark.parametrize("value", ["x", ""])
def test_an_unknown_setting_far_from_any_gets_no_hint(value: str) -> None:
    problem = single_problem({**STEP, "CONF_COLOUR": value})
    assert problem == f"CONF_COLOUR: unknown setting; known settings: {', '.join(KNOWN_SETTINGS)}"


def test_settings_problems_are_reported_with_the_others() -> None:
    env = {**STEP, "CONF_WORKDIR": "/w", "CONF_STATE_DIR": "", "TASK_t_CRONTAB": "61 * * * *"}
    assert sorted(problem.split(":")[0] for problem in problems_of(env)) == [
        "CONF_STATE_DIR",
        "CONF_WORKDIR",
        "TASK_t_CRONTAB",
    ]


@pytest.mark.parametrize("name", ["task_db_LOAD", "Task_db_LOAD", "task_db_load"])
def test_a_task_variable_in_lower_case_is_an_error(name: str) -> None:
    problem = single_problem({**STEP, name: "true"})
    assert problem == f"{name}: a task variable starts with TASK_ in capitals"


def test_healthcheck_s_state_dir() -> None:
    assert state_dir_of({}) == PurePosixPath(DEFAULT_STATE_DIR)
    assert state_dir_of({"CONF_STATE_DIR": "/data/state"}) == PurePosixPath("/data/state")
    with pytest.raises(ConfigError) as info:
        state_dir_of({"CONF_STATE_DIR": ""})
    assert info.value.problems[0].startswith("CONF_STATE_DIR: is empty")


def _conf_names(path: Path) -> set[str]:
    return set(re.findall(r"\bCONF_[A-Z][A-Z_]*\b", path.read_text(encoding="utf-8")))


def test_the_repository_sets_only_known_settings() -> None:
    """What users copy: the images, the examples and the benchmarks' environments."""
    files = [ROOT / "Dockerfile", ROOT / "docker-bake.hcl"]
    for folder in ("examples", "images", "benchmarks"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix != ".pyc"]
    found = {name: path for path in files for name in _conf_names(path)}
    assert found, "the scan finds nothing: look at its paths"
    assert {name: path for name, path in found.items() if name not in KNOWN_SETTINGS} == {}
