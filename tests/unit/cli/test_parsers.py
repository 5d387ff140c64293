"""Every argument and option of every command has a help text: `COMMAND --help` explains them all."""

from __future__ import annotations

import argparse

import pytest

from duplicity_cron.cli import PARSERS, USAGE


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_option_has_a_help_text(command):
    command_parser = PARSERS[command]()
    assert command_parser.description, command
    for action in command_parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (command, action.dest)


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_the_top_level_help_lists_the_command(command):
    assert any(line.startswith(f"  {command}") for line in USAGE.splitlines())
