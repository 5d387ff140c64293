"""`exec TASK [TASK...]`: run those tasks now, one after the other."""

from __future__ import annotations

import argparse

from ..model import Trigger
from .common import EXIT_USAGE, Loaded, defined_tasks, error, parse, parser, run_now

SUMMARY = "run those tasks now, one after the other"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "exec",
        f"{SUMMARY}, whatever their schedule.\n\nExit 1 if one failed (the others still run); else 3 if "
        "a run could not be recorded; else 0.",
    )
    command_parser.add_argument("tasks", nargs="+", metavar="TASK", help="the id of a task (TASK_<id>_*)")
    return command_parser


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    config = loaded.config
    unknown = [name for name in options.tasks if name not in config.tasks]
    if unknown:
        error(f"duplicity-cron exec: unknown task(s): {', '.join(unknown)} {defined_tasks(config.tasks)}")
        return EXIT_USAGE
    tasks = [config.tasks[name] for name in options.tasks]
    return run_now(loaded, tasks, Trigger.EXEC, stop_at_failure=False)
