"""`check`: validate only (validation itself happens before any command runs)."""

from __future__ import annotations

from .common import EXIT_OK, EXIT_USAGE, Loaded, parse, parser


def main(args: list[str], loaded: Loaded) -> int:
    if parse(parser("check"), args) is None:
        return EXIT_USAGE
    config = loaded.config
    print(
        f"configuration OK: {len(config.tasks)} task(s), {len(config.scheduled_tasks)} scheduled, "
        f"{len(config.restore_tasks)} restore"
    )
    return EXIT_OK
