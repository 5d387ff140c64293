"""Values too large for any step to start with (E2BIG) are configuration errors naming the variable."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.sizes import (
    MAX_ARG_STRLEN,
    STEP_BUDGET,
    exec_size,
    largest_step_size,
    size_problems,
)

TASK = {"TASK_db_LOAD": "true", "TASK_db_CRONTAB": "@daily"}
WORK = PurePosixPath("/workdir")


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    return info.value.problems


def value_of_size(name: str, size: int, char: str = "x") -> str:
    """A value such that `NAME=value` and its NUL are `size` bytes."""
    room = size - exec_size(f"{name}=")
    assert room % len(char.encode()) == 0
    return char * (room // len(char.encode()))


def test_the_limits_are_linux_s() -> None:
    assert MAX_ARG_STRLEN == 32 * 4096
    assert STEP_BUDGET == 1024 * 1024


def test_exec_size_counts_utf8_bytes_and_the_nul() -> None:
    assert exec_size("A=1") == 4
    assert exec_size("A=é") == 5
    assert exec_size("A=\udcff") == 4  # a non-UTF-8 byte of the original environment


@pytest.mark.parametrize("name", ["BIG", "TASK_db_LOAD", "PASSPHRASE"])
def test_a_variable_at_the_limit_is_accepted(name: str) -> None:
    parse_config({**TASK, name: value_of_size(name, MAX_ARG_STRLEN)})


@pytest.mark.parametrize("name", ["BIG", "TASK_db_LOAD", "PASSPHRASE", "TASK_db_FINALLY"])
def test_a_variable_one_byte_over_the_limit_names_itself(name: str) -> None:
    value = value_of_size(name, MAX_ARG_STRLEN + 1)
    [problem] = problems_of({**TASK, name: value})
    assert problem.startswith(f"{name}: NAME=value is 131,073 bytes with its NUL; ")
    assert "MAX_ARG_STRLEN" in problem
    assert "x" * 20 not in problem  # never the value: it may be a secret


def test_bytes_not_characters_count() -> None:
    fits = value_of_size("BIG", MAX_ARG_STRLEN - 1, "é")  # one byte of room left: no second é
    parse_config({**TASK, "BIG": fits})
    [problem] = problems_of({**TASK, "BIG": fits + "é"})
    assert problem.startswith("BIG: ")


def test_every_variable_over_the_limit_is_named() -> None:
    env = {**TASK, "A": "x" * MAX_ARG_STRLEN, "B": "y" * MAX_ARG_STRLEN, "TASK_db_LOAD": "z" * MAX_ARG_STRLEN}
    names = {problem.split(":")[0] for problem in problems_of(env)}
    assert {"A", "B", "TASK_db_LOAD"} <= names


def test_the_step_size_counts_what_the_runner_adds_and_the_command() -> None:
    env = {"TASK_db_LOAD": "true"}
    base = largest_step_size(env, parse_config(env).tasks, WORK)
    # bash -c true, TASK_db_LOAD=true, SRC/DST/TASK_ID and RUN_*: every string with its NUL and pointer
    assert base > exec_size("TASK_db_LOAD=true") + exec_size("true") + exec_size("SRC=/workdir/db/src")
    longer = {"TASK_db_LOAD": "true; true"}
    assert largest_step_size(longer, parse_config(longer).tasks, WORK) == base + 2 * len("; true")
    deeper = PurePosixPath("/srv/work")
    assert largest_step_size(env, parse_config(env).tasks, deeper) == base + 2 * (
        len(str(deeper)) - len(str(WORK))
    )


def _filled(extra: int) -> dict[str, str]:
    """TASK with filler variables bringing the largest step to STEP_BUDGET + `extra` bytes."""
    names = [f"FILL_{index}" for index in range(10)]
    env = {**TASK, **dict.fromkeys(names, "")}
    missing = STEP_BUDGET + extra - largest_step_size(env, parse_config(TASK).tasks, WORK)
    for name in names:
        env[name] = "f" * min(missing, 120_000)
        missing -= len(env[name])
    assert missing == 0
    return env


def test_a_step_environment_at_the_budget_is_accepted() -> None:
    env = _filled(0)
    assert largest_step_size(env, parse_config(env).tasks, WORK) == STEP_BUDGET
    assert size_problems(env, parse_config(env).tasks, WORK) == []


def test_a_step_environment_over_the_budget_names_the_largest_variables() -> None:
    env = _filled(1)
    [problem] = problems_of(env)
    assert problem.startswith(
        f"FILL_0: with it, a step would start with {STEP_BUDGET + 1:,} bytes of environment and arguments, "
        f"over the budget of {STEP_BUDGET:,} (1 MiB); the largest variables: FILL_0 (120,008), FILL_1"
    )
