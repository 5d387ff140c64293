"""`healthcheck`: is the scheduler running and are the backups fresh? One line on stdout.

Judged from the state folder alone, and only ever exit 0 or 1: to a container's HEALTHCHECK, exit 2 is
reserved. Only CONF_STATE_DIR is parsed: an invalid configuration stops `run`, which shows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..config import ConfigError
from ..config.settings import state_dir_of
from ..monitoring.health import judge
from ..state import heartbeat, history
from .common import EXIT_FAILED, EXIT_OK
from .loading import build_environment


def main(env_files: Sequence[str], args: list[str]) -> int:
    if args:
        print("unhealthy: healthcheck takes no argument")
        return EXIT_FAILED
    try:
        environment = build_environment(os.environ, env_files)
        state_dir = Path(state_dir_of(environment.values))
    except ConfigError as exc:
        print(f"unhealthy: {'; '.join(exc.problems)}")
        return EXIT_FAILED
    beat = heartbeat.read(state_dir)
    runs = {entry.task: history.load_runs(state_dir, entry.task) for entry in beat.tasks} if beat else {}
    alive = heartbeat.writer_alive(beat) if beat is not None else None
    reasons = judge(beat, runs, datetime.now(UTC), alive)
    print(environment.mask("unhealthy: " + "; ".join(reasons)) if reasons else "healthy")
    return EXIT_FAILED if reasons else EXIT_OK
