"""`list [--json]`: tasks, schedule, time zone and next three run times."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from ..views.listing import list_table, listing_entry
from .common import EXIT_OK, EXIT_USAGE, Loaded, add_containers, parse, parser

SUMMARY = "tasks, schedule, time zone and next three run times"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser("list", f"{SUMMARY}.")
    command_parser.add_argument(
        "--json", action="store_true", help='print {"tasks": [...]} instead of a table, for scripts'
    )
    return command_parser


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    now = datetime.now(UTC)
    tasks = sorted(loaded.config.tasks.values(), key=lambda t: t.id)
    entries = [listing_entry(task, now) for task in tasks]
    add_containers(entries, tasks, loaded)
    print(json.dumps({"tasks": entries}, indent=2) if options.json else list_table(entries))
    return EXIT_OK
