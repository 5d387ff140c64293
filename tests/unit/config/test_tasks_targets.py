"""The keys of the built-in backup: TARGET, SOURCE, FULL_EVERY, OPTIONS, KEEP_FULL, KEEP; the rules that
join them (nothing without TARGET, no restore task with one, one backup per target) and the steps a
task with TARGET gets."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.model import CHAIN_STEPS, MAIN_STEPS, RETENTION_STEP, builtin_steps, run_steps

TARGET = {"TASK_home_TARGET": "file:///backups/home", "PASSPHRASE": "a long secret"}


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    return info.value.problems


def test_the_shortest_backup_task_is_a_schedule_a_source_and_a_target() -> None:
    env = {**TARGET, "TASK_home_CRONTAB": "0 2 * * *", "TASK_home_SOURCE": "/home"}
    task = parse_config(env).tasks["home"]
    assert (task.target, task.source, task.steps) == ("file:///backups/home", "/home", {})
    assert (task.full_every, task.options, task.keep_full, task.keep) == (None, (), None, None)
    assert builtin_steps(task) == ("load",)


def test_every_key_of_the_built_in_backup() -> None:
    env = {
        "PASSPHRASE": "a long secret",
        "TASK_db_TARGET": "sftp://backup:pw@host//srv/db",
        "TASK_db_SOURCE": "/dumps",
        "TASK_db_FULL_EVERY": "2W",
        "TASK_db_OPTIONS": "--volsize 500 --exclude '**/tmp'",
        "TASK_db_KEEP_FULL": "3",
        "TASK_db_keep": "6M",
        "TASK_db_EXTRACT": "pg_dumpall > /dumps/all.sql",
    }
    task = parse_config(env).tasks["db"]
    assert task.full_every == "2W" and task.keep_full == 3 and task.keep == "6M"
    assert task.options == ("--volsize", "500", "--exclude", "**/tmp")
    assert builtin_steps(task) == ("load", RETENTION_STEP)
    assert run_steps(task) == ("extract", "load", RETENTION_STEP)


def test_an_own_load_replaces_the_built_in_backup_but_keeps_retention() -> None:
    env = {**TARGET, "TASK_home_LOAD": "my-backup", "TASK_home_KEEP_FULL": "2"}
    task = parse_config(env).tasks["home"]
    assert builtin_steps(task) == (RETENTION_STEP,)
    assert run_steps(task) == ("load", RETENTION_STEP)


def test_a_task_without_target_has_no_built_in_step() -> None:
    task = parse_config({"TASK_x_LOAD": "true", "TASK_x_FINALLY": "true"}).tasks["x"]
    assert builtin_steps(task) == ()
    assert run_steps(task) == ("load", "finally")


def test_retention_runs_after_load_and_before_succeed() -> None:
    assert [step for step in CHAIN_STEPS if step != RETENTION_STEP] == list(MAIN_STEPS)
    assert CHAIN_STEPS.index(RETENTION_STEP) == CHAIN_STEPS.index("load") + 1


@pytest.mark.parametrize("key", ["SOURCE", "FULL_EVERY", "OPTIONS", "KEEP_FULL", "KEEP", "VERIFY"])
def test_the_backup_keys_without_target_are_errors_naming_the_variable(key: str) -> None:
    value = {
        "SOURCE": "/data", "FULL_EVERY": "7D", "OPTIONS": "-v info", "KEEP_FULL": "2", "KEEP": "1Y",
        "VERIFY": "weekly",
    }[key]  # fmt: skip
    problems = problems_of({"TASK_x_LOAD": "true", f"TASK_x_{key}": value})
    assert problems == [f"TASK_x_{key}: only means something with TASK_x_TARGET, which is not set"]


def test_a_restore_task_with_target_is_an_error() -> None:
    problems = problems_of({**TARGET, "TASK_home_RESTORE": "1", "TASK_home_LOAD": "true"})
    assert len(problems) == 1
    assert problems[0].startswith("TASK_home_TARGET: task 'home' is a restore task (RESTORE)")
    assert "duplicity-cron restore TASK" in problems[0]


def test_two_built_in_backups_into_one_target_are_an_error() -> None:
    env = {
        "PASSPHRASE": "a long secret",
        "TASK_a_TARGET": "sftp://u:one@host/x",
        "TASK_b_TARGET": "sftp://u:two@host/x/",
        "TASK_c_TARGET": "sftp://u@host/x",
        "TASK_c_LOAD": "duplicity verify ...",  # its own LOAD: it does not back up into it
    }
    problems = problems_of(env)
    assert len(problems) == 1
    assert problems[0].startswith("TASK_b_TARGET: task 'a' already backs up into this target")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("TARGET", "/backups", "TASK_home_TARGET: '/backups' is not a duplicity URL"),
        ("TARGET", "gopher://h/x", "TASK_home_TARGET: unknown scheme 'gopher'"),
        ("SOURCE", "data", "TASK_home_SOURCE: 'data' must be an absolute path"),
        ("FULL_EVERY", "1 month", "TASK_home_FULL_EVERY: '1 month' is not a duplicity interval"),
        ("OPTIONS", "--exclude 'x", "TASK_home_OPTIONS: cannot split it into words"),
        ("KEEP_FULL", "0", "TASK_home_KEEP_FULL: '0' is not a number of full chains"),
        ("KEEP", "forever", "TASK_home_KEEP: 'forever' is not a duplicity interval"),
        ("KEEP", " ", "TASK_home_KEEP: is empty"),
    ],
)
def test_bad_values_name_their_variable(key: str, value: str, message: str) -> None:
    env = {**TARGET, f"TASK_home_{key}": value}
    problems = problems_of(env)
    assert len(problems) == 1, problems
    assert problems[0].startswith(message)


def test_all_problems_of_the_backup_keys_come_together() -> None:
    env = {
        "TASK_a_TARGET": "nowhere",
        "TASK_a_KEEP": "x",
        "TASK_b_SOURCE": "/data",
        "TASK_b_LOAD": "true",
    }
    problems = problems_of(env)
    assert sorted(problem.split(":")[0] for problem in problems) == [
        "TASK_a_KEEP",
        "TASK_a_TARGET",
        "TASK_b_SOURCE",
    ]


def test_the_url_password_of_a_target_is_masked() -> None:
    from duplicity_cron.config.environment import layer_environment

    environment = layer_environment({"TASK_home_TARGET": "sftp://u:canary-pw-1@host/x"}, [], str)
    assert environment.mask("sftp://u:canary-pw-1@host/x") == "sftp://u:***@host/x"


def test_a_work_folder_too_long_for_gpg_agent_s_sockets_is_an_error() -> None:
    # <work>/<id>/gnupg/S.gpg-agent.browser may hold 106 bytes (GnuPG 2.2.40): <work>/<id> 80 of them
    fits = "/w" + "x" * (80 - len("/w/home"))
    assert parse_config({**TARGET, "CONF_WORK_DIR": fits}).tasks["home"]
    problems = problems_of({**TARGET, "CONF_WORK_DIR": fits + "x"})
    assert problems == [
        f"TASK_home_TARGET: gpg-agent's sockets in {fits}x/home/gnupg would have paths longer than the 106 "
        "bytes gpg can use; use a shorter CONF_WORK_DIR or task id"
    ]
    # tasks without TARGET do not use it
    assert parse_config({"TASK_home_LOAD": "true", "CONF_WORK_DIR": fits + "x"}).tasks["home"]


def test_a_task_with_target_needs_a_passphrase_unless_its_options_say_otherwise() -> None:
    env = {"TASK_home_TARGET": "file:///backups/home", "TASK_db_TARGET": "file:///backups/db"}
    problems = problems_of({**env, "PASSPHRASE": " "})
    assert [problem.split(":")[0] for problem in problems] == ["TASK_db_TARGET", "TASK_home_TARGET"]
    assert "duplicity needs PASSPHRASE (or PASSPHRASE_FILE)" in problems[0]
    both = {**env, "TASK_home_OPTIONS": "--no-encryption", "TASK_db_OPTIONS": "--no-encryption"}
    assert set(parse_config(both).tasks) == {"home", "db"}
    for options in ("--encrypt-key=ABCD1234", "--encrypt-key ABCD1234"):  # a key the keyring lacks
        problems = problems_of({**env, "TASK_home_OPTIONS": options, "TASK_db_OPTIONS": options})
        assert [problem.split(":")[0] for problem in problems] == ["TASK_db_OPTIONS", "TASK_home_OPTIONS"]
    assert parse_config({"TASK_x_LOAD": "duplicity ..."}).tasks["x"]  # step-based tasks: their business
