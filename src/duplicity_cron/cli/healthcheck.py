"""`healthcheck`: is the scheduler running and are the backups fresh? One line on stdout.

Judged from the state folder alone, and only ever exit 0 or 1: to a container's HEALTHCHECK, exit 2 is
reserved. Only CONF_STATE_DIR is parsed: an invalid configuration stops `run`, which shows. A damaged
state (a file where a folder should be, a heartbeat or record that cannot be used) and a state folder
that cannot be written (full, read-only) are reasons too: an old success must not look healthy then.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..config import ConfigError
from ..config.settings import state_dir_of
from ..model import printable
from ..monitoring.health import judge
from ..state import files, heartbeat, history
from .common import EXIT_FAILED, EXIT_OK, parser
from .loading import build_environment

SUMMARY = "exit 0 if the scheduler runs and backups are fresh, 1 (and why) if not"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "healthcheck",
        f"{SUMMARY}.\n\nOne line on stdout: healthy, or unhealthy: <reasons>. Judged from the state folder "
        "(CONF_STATE_DIR)\nalone; never an exit code but 0 and 1, as a container's HEALTHCHECK expects.",
    )
    command_parser.add_argument(
        "--liveness",
        action="store_true",
        help="judge the scheduler alone (heartbeat, its process, the state folder), not the backups: for a "
        "liveness probe, which must not restart the pod because a backup failed",
    )
    return command_parser


def main(env_files: Sequence[str], args: list[str]) -> int:
    """`--liveness` judges the scheduler alone (heartbeat, process, state folder), not the backups: a
    Kubernetes liveness probe restarts the pod, which would only interrupt the next backup."""
    if args not in ([], ["--liveness"]):
        print("unhealthy: healthcheck takes no argument but --liveness")
        return EXIT_FAILED
    try:
        environment = build_environment(os.environ, env_files)
        state_dir = Path(state_dir_of(environment.values))
    except ConfigError as exc:
        print(printable(f"unhealthy: {'; '.join(exc.problems)}"))
        return EXIT_FAILED
    reasons = reasons_of(state_dir, datetime.now(UTC), args == ["--liveness"])
    print(printable(environment.mask("unhealthy: " + "; ".join(reasons)) if reasons else "healthy"))
    return EXIT_FAILED if reasons else EXIT_OK


def reasons_of(state_dir: Path, now: datetime, liveness: bool = False) -> list[str]:
    """Why the state folder says unhealthy: its own problems first, then the judgement of its content."""
    problem = files.folder_problem(state_dir)
    if problem is not None:
        return [f"the state folder: {problem}"]
    reasons = []
    if state_dir.exists() and (why := files.write_problem(state_dir)) is not None:
        reasons.append(f"the state folder {state_dir} cannot be written ({why}): runs are not recorded")
    if (in_the_way := files.folder_problem(history.runs_root(state_dir))) is not None:
        reasons.append(f"the run history: {in_the_way}: runs are not recorded")
    try:
        beat = heartbeat.read_checked(state_dir)
    except files.Damaged as exc:
        return [*reasons, str(exc)]
    if liveness and beat is not None:
        beat = replace(beat, tasks=())
    runs = {}
    for entry in beat.tasks if beat else ():
        read = history.read_history(state_dir, entry.task)
        reasons += [] if in_the_way else read.problems  # each would say the same as `in_the_way`
        runs[entry.task] = read.runs
    alive = heartbeat.writer_alive(beat) if beat is not None else None
    return reasons + judge(beat, runs, now, alive)
