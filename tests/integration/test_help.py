"""`--help` of every command, through the real command line: every argument and option with its
description, exit 0, and no configuration needed (an invalid one does not stand in the way)."""

from __future__ import annotations

import pytest

from duplicity_cron.cli import PARSERS

# What each command's --help must show: the arguments and options a user types.
OPTIONS = {
    "run": [],
    "exec": ["TASK"],
    "restore": [
        *("TASK", "--time T", "--to DIR", "--path P", "--force"),
        *("--database NAME", "--to-url URL", "--drop"),
    ],
    "verify": ["TASK"],
    "list": ["--json"],
    "check": [],
    "status": ["TASK", "--json"],
    "healthcheck": ["--liveness"],
    "helm-values": ["--mode cronjobs|daemon", "--secret NAME", "--release NAME"],
}
# An invalid configuration: help must not need a valid one (nor report its problems).
INVALID = {"TASK_a_CRONTAB": "61 * * * *", "TASK_a_LOAD": "true", "CONF_NOPE": "1"}


def _words(text: str) -> str:
    return " ".join(text.split())  # argparse wraps the descriptions to the terminal's width


def test_every_command_has_an_entry():
    assert set(OPTIONS) == set(PARSERS)


@pytest.mark.parametrize("form", [["{}", "--help"], ["{}", "-h"], ["help", "{}"]])
@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_command_help_shows_every_option_with_its_description(cli, command, form):
    result = cli(*(word.format(command) for word in form), env=INVALID)
    assert result.returncode == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(f"usage: duplicity-cron {command}")
    shown = _words(result.stdout)
    for option in OPTIONS[command]:
        assert option in result.stdout, option
    for action in PARSERS[command]()._actions:
        assert action.help and _words(action.help) in shown, action.dest


def test_restore_help_shows_both_forms(cli):
    result = cli("restore", "--help")
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == [
        "usage: duplicity-cron restore",
        "       duplicity-cron restore TASK [--time T] [--to DIR] [--path P] [--force]",
        "       duplicity-cron restore TASK [--time T] [--database NAME]... [--to-url URL] [--drop]",
    ]
    assert "restore: run every restore task (TASK_<id>_RESTORE) once" in result.stdout


def test_healthcheck_help_is_help_not_unhealthy(cli):
    result = cli("healthcheck", "--help")
    assert result.returncode == 0
    assert not result.stdout.startswith("unhealthy")
    assert "--liveness  judge the scheduler alone" in result.stdout


def test_help_of_an_unknown_command_is_a_usage_error(cli):
    result = cli("help", "nope")
    assert result.returncode == 2
    assert result.stderr.startswith("duplicity-cron help: unknown command 'nope' (commands: run, exec, ")


def test_top_level_help_lists_every_command_on_one_line(cli):
    result = cli("--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for command in PARSERS:
        line = next(line for line in lines if line.startswith(f"  {command}"))
        assert len(line.split(maxsplit=1)[1]) > 20, line  # a synopsis and a description


def test_help_of_another_command_is_its_own(cli):
    """`OTHER --help` is OTHER's: it is executed, not answered here."""
    result = cli("duplicity", "--help")
    assert result.returncode == 0
    assert "usage: duplicity-cron" not in result.stdout
