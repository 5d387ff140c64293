"""`exec TASK [TASK...]`: run those tasks now, one after the other."""

from __future__ import annotations

import sys
from pathlib import Path

from ..model import Trigger
from ..monitoring.fanout import observers_for
from ..runner.sequence import run_in_order
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, defined_tasks, parse, parser


def main(args: list[str], loaded: Loaded) -> int:
    command_parser = parser("exec")
    command_parser.add_argument("tasks", nargs="+", metavar="TASK")
    options = parse(command_parser, args)
    if options is None:
        return EXIT_USAGE
    config = loaded.config
    unknown = [name for name in options.tasks if name not in config.tasks]
    if unknown:
        print(
            f"duplicity-cron exec: unknown task(s): {', '.join(unknown)} {defined_tasks(config.tasks)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    succeeded = run_in_order(
        [config.tasks[name] for name in options.tasks],
        work_dir=Path(config.work_dir),
        state_dir=Path(config.state_dir),
        env=loaded.environment.values,
        stop_grace=config.stop_grace,
        log=loaded.log,
        observer=observers_for(config, loaded.log),
        trigger=Trigger.EXEC,
        stop_at_failure=False,
    )
    return EXIT_OK if succeeded else EXIT_FAILED
