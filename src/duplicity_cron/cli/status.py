"""`status [TASK] [--json]`: per task its schedule, last run, last success, next run and recent runs."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..state import history
from ..views.status import status_details, status_entry, status_table
from .common import EXIT_OK, EXIT_USAGE, Loaded, defined_tasks, parse, parser


def main(args: list[str], loaded: Loaded) -> int:
    command_parser = parser("status")
    command_parser.add_argument("task", nargs="?", metavar="TASK")
    command_parser.add_argument("--json", action="store_true", help="print JSON")
    options = parse(command_parser, args)
    if options is None:
        return EXIT_USAGE
    config = loaded.config
    if options.task is not None and options.task not in config.tasks:
        print(
            f"duplicity-cron status: unknown task {options.task} {defined_tasks(config.tasks)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    now = datetime.now(UTC)
    names = [options.task] if options.task else sorted(config.tasks)
    state_dir = Path(config.state_dir)
    entries = [
        status_entry(config.tasks[name], history.load_runs(state_dir, name), now, config.timezone)
        for name in names
    ]
    if options.json:
        print(json.dumps({"tasks": entries}, indent=2))
    elif options.task:
        print(status_details(entries[0]))
    else:
        print(status_table(entries))
    return EXIT_OK
