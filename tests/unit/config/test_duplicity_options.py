"""Duplicity 0.8 options that 3.x removed or renamed: errors in OPTIONS that name the task key and the
replacement, warnings for a step's duplicity command line (not for a word inside quoted text), and a
warning for FTP_PASSWORD. Every entry of the table is tried in both places."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.duplicity_options import (
    OLD_OPTIONS,
    OldOption,
    describe,
    duplicity_calls,
    old_option_uses,
    step_warnings,
)

BASE = {"TASK_home_TARGET": "file:///backups/home", "PASSPHRASE": "a long secret"}


def written(option: OldOption) -> str:
    """The option as a 0.8 user wrote it: with a value where it takes one, as a separate word."""
    if option.what == "needs =":
        return f"{option.name} --opt=1"
    return f"{option.name} etc/hosts" if option.name == "--file-to-restore" else option.name


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    return info.value.problems


@pytest.mark.parametrize("option", OLD_OPTIONS, ids=lambda option: option.name)
def test_each_old_option_in_options_is_an_error_naming_the_key_and_the_replacement(option: OldOption) -> None:
    env = {**BASE, "TASK_home_OPTIONS": f"--volsize 50 {written(option)}"}
    message = f"TASK_home_OPTIONS: {describe(option)}"
    if option.fatal:
        assert problems_of(env) == [message]
    else:
        assert parse_config(env).warnings == (message,)
    assert option.instead in message and option.name in message


@pytest.mark.parametrize("option", OLD_OPTIONS, ids=lambda option: option.name)
def test_each_old_option_in_a_step_calling_duplicity_is_a_warning(option: OldOption) -> None:
    command = f"duplicity backup {written(option)} /data file:///backups/db"
    config = parse_config({"TASK_db_LOAD": command})
    assert config.warnings == (f"TASK_db_LOAD: {describe(option)}",)


@pytest.mark.parametrize(
    ("words", "flagged"),
    [
        ("--gpg-options=--compress-algo=none", []),
        ("--ssh-options=-oPort=22 --rsync-options=-v", []),
        # the shell takes the quotes away: duplicity still gets '--compress-algo=none' as a word of its own
        ("--gpg-options '--compress-algo=none'", ["--gpg-options"]),
        ("--ssh-options -oPort=22", ["--ssh-options"]),
    ],
)
def test_values_bound_with_equals_are_fine_and_separate_ones_not(words: str, flagged: list[str]) -> None:
    assert [option.name for option, _word in old_option_uses(shlex.split(words))] == flagged


def test_a_value_that_does_not_look_like_an_option_may_follow() -> None:
    assert list(old_option_uses(["--rsync-options", "verbose"])) == []
    assert [option.name for option, _ in old_option_uses(["--par2-options"])] == ["--par2-options"]


def test_the_replacements_of_3x_are_not_flagged() -> None:
    words = "--path-to-restore x -r y --no-restore-ownership --concurrency 4 --exclude-filelist f -t 1D"
    assert list(old_option_uses(shlex.split(words))) == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("duplicity full --gio a b", [["full", "--gio", "a", "b"]]),
        ("/opt/duplicity/bin/duplicity --gio a b", [["--gio", "a", "b"]]),
        ("X=1 Y=2 duplicity --gio a b", [["--gio", "a", "b"]]),
        ("exec nice -n 10 timeout 1h duplicity --gio a b", [["--gio", "a", "b"]]),
        ("true && duplicity --gio a b | tee log; echo ok", [["--gio", "a", "b"]]),
        (
            "set -e\nduplicity a b\n# duplicity --gio\nduplicity \\\n  --gio a b",
            [["a", "b"], ["--gio", "a", "b"]],
        ),
        ('echo "duplicity --gio"', []),
        ("echo duplicity --gio", []),
        ("printf '%s\\n' 'duplicity --gio' > notes", []),
        ("duplicity-cron status", []),
        ('echo "unclosed', []),
    ],
)
def test_duplicity_calls_in_a_command_line(command: str, expected: list[list[str]]) -> None:
    assert duplicity_calls(command) == expected


def test_an_option_name_in_quoted_text_is_no_warning() -> None:
    assert step_warnings("TASK_db_LOAD", 'echo "do not use --gio"; duplicity backup /a file:///b') == []
    assert step_warnings("TASK_db_FAILED", 'echo "duplicity --short-filenames failed"') == []


def test_every_step_is_checked_and_named() -> None:
    env = {
        "TASK_db_PREPARE": "duplicity --s3-use-new-style cleanup --force s3:///b",
        "TASK_db_FINALLY": "duplicity --old-filenames collection-status s3:///b",
    }
    warnings = parse_config(env).warnings
    assert [warning.split(":")[0] for warning in warnings] == ["TASK_db_PREPARE", "TASK_db_FINALLY"]


def test_ftp_password_is_a_warning_naming_backend_password() -> None:
    warnings = parse_config({**BASE, "FTP_PASSWORD": "an ftp password"}).warnings
    assert warnings == (
        "FTP_PASSWORD: duplicity 3.x reads BACKEND_PASSWORD (it still takes FTP_PASSWORD, with a warning, "
        "until 4.0); rename it",
    )
    assert "an ftp password" not in warnings[0]


def test_a_clean_configuration_has_no_warning() -> None:
    env = {**BASE, "TASK_home_OPTIONS": "--gpg-options=--compress-level=1", "TASK_x_LOAD": "duplicity a b"}
    assert parse_config(env).warnings == ()


def test_the_docs_list_every_old_option() -> None:
    page = Path(__file__).resolve().parents[3] / "docs" / "reference" / "validation.md"
    readme = page.read_text(encoding="utf-8")
    for option in OLD_OPTIONS:
        assert f"| `{option.name}` | " in readme and option.instead in readme, option.name
