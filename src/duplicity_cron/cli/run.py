"""`run` (the default): validate, log the plan, run tasks when due until SIGTERM/SIGINT."""

from __future__ import annotations

from ..config import ConfigError
from ..daemon.service import run_daemon
from .common import EXIT_OK, EXIT_USAGE, Loaded, parse, parser, report_problems


def main(args: list[str], loaded: Loaded) -> int:
    if parse(parser("run"), args) is None:
        return EXIT_USAGE
    try:
        run_daemon(loaded.config, loaded.environment, loaded.log)
    except ConfigError as exc:
        return report_problems(exc.problems)
    return EXIT_OK
