"""`exec TASK [TASK...]`: run those tasks now, one after the other."""

from __future__ import annotations

from ..model import Trigger
from .common import EXIT_USAGE, Loaded, defined_tasks, error, parse, parser, run_now


def main(args: list[str], loaded: Loaded) -> int:
    command_parser = parser("exec")
    command_parser.add_argument("tasks", nargs="+", metavar="TASK")
    options = parse(command_parser, args)
    if options is None:
        return EXIT_USAGE
    config = loaded.config
    unknown = [name for name in options.tasks if name not in config.tasks]
    if unknown:
        error(f"duplicity-cron exec: unknown task(s): {', '.join(unknown)} {defined_tasks(config.tasks)}")
        return EXIT_USAGE
    tasks = [config.tasks[name] for name in options.tasks]
    return run_now(loaded, tasks, Trigger.EXEC, stop_at_failure=False)
