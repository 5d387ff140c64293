"""`restore` (also `execute-restore`): every restore task once, ordered by `<RESTORE>_<id>`; stop at
the first failure."""

from __future__ import annotations

import sys
from pathlib import Path

from ..model import Trigger
from ..monitoring.fanout import observers_for
from ..runner.sequence import run_in_order
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, parse, parser


def main(args: list[str], loaded: Loaded) -> int:
    if parse(parser("restore"), args) is None:
        return EXIT_USAGE
    config, log = loaded.config, loaded.log
    tasks = config.restore_tasks
    if not tasks:
        # Automation must not take "nothing to do" for "restored".
        print(
            "duplicity-cron restore: no restore task is defined (set TASK_<id>_RESTORE on the tasks that "
            "restore); nothing was run",
            file=sys.stderr,
        )
        return EXIT_USAGE
    log.event(f"restore order: {', '.join(task.id for task in tasks)}")
    succeeded = run_in_order(
        tasks,
        work_dir=Path(config.work_dir),
        env=loaded.environment.values,
        stop_grace=config.stop_grace,
        log=log,
        observer=observers_for(config, log),
        trigger=Trigger.RESTORE,
        stop_at_failure=True,
    )
    return EXIT_OK if succeeded else EXIT_FAILED
