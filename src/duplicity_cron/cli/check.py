"""`check`: validate only (validation itself happens before any command runs)."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, EXIT_USAGE, Loaded, parse, parser

SUMMARY = "validate the configuration; print every problem and warning"


def command_parser() -> argparse.ArgumentParser:
    return parser("check", f"{SUMMARY}.\n\nExit 0 when it is valid, 2 with every problem; nothing is run.")


def main(args: list[str], loaded: Loaded) -> int:
    if parse(command_parser(), args) is None:
        return EXIT_USAGE
    config = loaded.config
    print(
        f"configuration OK: {len(config.tasks)} task(s), {len(config.scheduled_tasks)} scheduled, "
        f"{len(config.restore_tasks)} restore"
    )
    return EXIT_OK
