"""`status [TASK] [--json | --html FILE]`: per task its schedule, last run, last success, next run and recent
runs; `--html` writes the status page the daemon serves."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from ..monitoring import status_page
from ..state import files
from ..views.status import status_details, status_table
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Loaded,
    add_containers,
    defined_tasks,
    error,
    parse,
    parser,
)

SUMMARY = "per task: schedule, last run, last success, next run, recent runs"
PAGE_MODE = 0o644  # a page for a web server to serve (less the umask); it shows no secret


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "status",
        f"{SUMMARY}.\n\nRead from the state folder (CONF_STATE_DIR); a damaged history is a warning on "
        "stderr.\nExit 0; 2 for an unknown TASK; 1 when --html FILE cannot be written.",
    )
    command_parser.add_argument(
        "task", nargs="?", metavar="TASK", help="this task alone, with its last run's output tail"
    )
    output = command_parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help='print {"tasks": [...]} instead of a table, for scripts'
    )
    output.add_argument(
        "--html",
        metavar="FILE",
        help="write the status page (what the daemon serves at / of CONF_METRICS_PORT) to FILE, "
        "replaced whole: for a CronJob or exec-only set-up where no daemon runs",
    )
    return command_parser


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    config = loaded.config
    if options.task is not None and options.task not in config.tasks:
        error(f"duplicity-cron status: unknown task {options.task} {defined_tasks(config.tasks)}")
        return EXIT_USAGE
    now = datetime.now(UTC)
    names = [options.task] if options.task else sorted(config.tasks)
    data = status_page.gather(config, names, now)
    for warning in data.warnings:  # what can be shown still is: the table goes to stdout, exit 0
        error(f"duplicity-cron status: warning: {warning}")
    if options.html is not None:
        from .. import __version__  # looked up only here: see duplicity_cron.__getattr__

        return _write_page(options.html, status_page.render(
            config, loaded.environment.mask, now, version=__version__, served=False, data=data
        ))  # fmt: skip
    entries = data.entries
    add_containers(entries, [config.tasks[name] for name in names], loaded)
    if options.json:
        print(json.dumps({"tasks": entries}, indent=2))  # ASCII: JSON escapes every control character
    else:
        text = status_details(entries[0]) if options.task else status_table(entries)
        print(loaded.environment.mask(text))  # masked when recorded; again, with today's secrets
    return EXIT_OK


def _write_page(name: str, text: str) -> int:
    """The page to `name`, replaced whole (a web server never serves half of it)."""
    path = Path(name)
    try:
        files.write_atomically(path, text.encode("utf-8"), mode=PAGE_MODE)
    except OSError as exc:
        error(
            f"duplicity-cron status: cannot write the status page to {path}: {files.describe(exc)}; "
            "give --html a file in an existing, writable folder"
        )
        return EXIT_FAILED
    return EXIT_OK
