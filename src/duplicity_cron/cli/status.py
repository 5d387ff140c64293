"""`status [TASK] [--json]`: per task its schedule, last run, last success, next run and recent runs."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from ..model import RunResult
from ..state import files, history, restores, target
from ..views.status import status_details, status_entry, status_table
from .common import EXIT_OK, EXIT_USAGE, Loaded, add_containers, defined_tasks, error, parse, parser

SUMMARY = "per task: schedule, last run, last success, next run, recent runs"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "status",
        f"{SUMMARY}.\n\nRead from the state folder (CONF_STATE_DIR); a damaged history is a warning on "
        "stderr.\nExit 0; 2 for an unknown TASK.",
    )
    command_parser.add_argument(
        "task", nargs="?", metavar="TASK", help="this task alone, with its last run's output tail"
    )
    command_parser.add_argument(
        "--json", action="store_true", help='print {"tasks": [...]} instead of a table, for scripts'
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
    histories, warnings = _histories(Path(config.state_dir), names)
    contents = {}  # what each TARGET held when last read: never the backend itself
    last_restores = {}
    for name in names:
        if config.tasks[name].target is not None:
            contents[name], problem = target.read(Path(config.state_dir), name)
            last_restores[name], restore_problem = restores.read(Path(config.state_dir), name)
            warnings += [found for found in (problem, restore_problem) if found]
    for warning in warnings:  # what can be shown still is: the table goes to stdout, exit 0
        error(f"duplicity-cron status: warning: {warning}")
    entries = [
        status_entry(
            config.tasks[name],
            histories[name],
            now,
            config.timezone,
            contents.get(name),
            last_restores.get(name),
        )
        for name in names
    ]
    add_containers(entries, [config.tasks[name] for name in names], loaded)
    if options.json:
        print(json.dumps({"tasks": entries}, indent=2))  # ASCII: JSON escapes every control character
    else:
        text = status_details(entries[0]) if options.task else status_table(entries)
        print(loaded.environment.mask(text))  # masked when recorded; again, with today's secrets
    return EXIT_OK


def _histories(state_dir: Path, names: list[str]) -> tuple[dict[str, list[RunResult]], list[str]]:
    """Each task's runs, and the warnings about a damaged state (told once for the whole folder)."""
    problem = files.folder_problem(history.runs_root(state_dir))
    if problem is not None:
        return {name: [] for name in names}, [f"no run history can be read: {problem}"]
    reads = {name: history.read_history(state_dir, name) for name in names}
    warnings = [problem for read in reads.values() for problem in read.problems]
    return {name: read.runs for name, read in reads.items()}, warnings
