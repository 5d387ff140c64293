"""Task variables the parser used to accept but the runner could not use: an id too long for a folder
name, an empty step that silently did nothing."""

from __future__ import annotations

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.config.tasks import MAX_TASK_ID

from .test_tasks import problems_of, single_problem


def test_the_id_limit_is_far_below_a_file_name() -> None:
    assert MAX_TASK_ID == 64  # docs/reference/validation.md says so; a folder name may have 255 bytes


def test_an_id_at_the_limit_is_accepted() -> None:
    task_id = "a" * MAX_TASK_ID
    config = parse_config({f"TASK_{task_id}_LOAD": "true", f"TASK_{task_id}_CRONTAB": "@daily"})
    assert list(config.tasks) == [task_id]


@pytest.mark.parametrize("length", [MAX_TASK_ID + 1, 300])
def test_an_id_over_the_limit_names_the_variable(length: int) -> None:
    task_id = "b" * length
    problem = single_problem({f"TASK_{task_id}_LOAD": "true"})
    assert problem == f"TASK_{task_id}_LOAD: task id is {length} characters long; at most {MAX_TASK_ID}"


def test_every_variable_of_a_too_long_id_is_named() -> None:
    task_id = "c" * (MAX_TASK_ID + 1)
    problems = problems_of({f"TASK_{task_id}_LOAD": "true", f"TASK_{task_id}_CRONTAB": "@daily"})
    assert sorted(problem.split(":")[0] for problem in problems) == [
        f"TASK_{task_id}_CRONTAB",
        f"TASK_{task_id}_LOAD",
    ]


@pytest.mark.parametrize("step", ["PREPARE", "EXTRACT", "TRANSFORM", "SUCCEED", "FAILED", "FINALLY"])
@pytest.mark.parametrize("value", ["", "  ", "\n"])
def test_an_empty_step_is_an_error_not_a_silent_no_op(step: str, value: str) -> None:
    problem = single_problem({"TASK_db_LOAD": "true", f"TASK_db_{step}": value})
    assert problem == f"TASK_db_{step}: is empty; give it a value or unset it"


def test_a_task_whose_only_step_is_empty_gets_one_problem() -> None:
    assert single_problem({"TASK_db_LOAD": "", "TASK_db_CRONTAB": "@daily"}).startswith(
        "TASK_db_LOAD: is empty"
    )


def test_a_task_without_any_step_variable_still_says_so() -> None:
    assert "defines no step" in single_problem({"TASK_db_CRONTAB": "@daily"})
