"""What the commands share: exit codes, argument parsing that never exits, reporting problems."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..config import Config
from ..config.environment import Environment
from ..log import Log

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parser(command: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"duplicity-cron {command}", exit_on_error=False)


def parse(command_parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace | None:
    """The options, or None after printing the usage error."""
    try:
        return command_parser.parse_args(args)
    except argparse.ArgumentError as exc:
        print(f"{command_parser.prog}: {exc}", file=sys.stderr)
        return None


def report_problems(problems: Sequence[str]) -> int:
    print(f"duplicity-cron: {len(problems)} configuration error(s); nothing was run:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_USAGE


def defined_tasks(names: Collection[str]) -> str:
    """`(defined: a, b)` for a message about an unknown task."""
    return f"(defined: {', '.join(sorted(names)) or 'none'})"


@dataclass(frozen=True)
class Loaded:
    """What a command that runs after validation gets."""

    environment: Environment
    config: Config
    log: Log
