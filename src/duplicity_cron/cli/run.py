"""`run` (the default): validate, log the plan, run tasks when due until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse

from ..config import ConfigError
from ..daemon.service import run_daemon
from .common import EXIT_OK, EXIT_USAGE, Loaded, parse, parser, report_problems

SUMMARY = "validate, print the plan, run tasks when due until SIGTERM/SIGINT (default)"


def command_parser() -> argparse.ArgumentParser:
    return parser(
        "run",
        f"{SUMMARY}.\n\nExit 0 after a clean stop; 2 for a configuration error (nothing is run).",
    )


def main(args: list[str], loaded: Loaded) -> int:
    if parse(command_parser(), args) is None:
        return EXIT_USAGE
    try:
        run_daemon(loaded.config, loaded.environment, loaded.log)
    except ConfigError as exc:
        return report_problems(exc.problems)
    return EXIT_OK
