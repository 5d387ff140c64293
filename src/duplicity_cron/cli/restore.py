"""`restore` (also `execute-restore`): every restore task once, ordered by `<RESTORE>_<id>`; stop at
the first failure. `restore TASK [...]` restores a backup task's TARGET instead (`restore_task`)."""

from __future__ import annotations

from pathlib import Path

from ..model import Trigger
from ..monitoring.fanout import observers_for
from ..runner.sequence import run_in_order
from . import restore_task
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, parse, parser


def main(args: list[str], loaded: Loaded) -> int:
    if any(not arg.startswith("-") for arg in args):  # a TASK argument was given
        return restore_task.main(args, loaded)
    if parse(parser("restore"), args) is None:
        return EXIT_USAGE
    config, log = loaded.config, loaded.log
    tasks = config.restore_tasks
    if not tasks:
        log.event("no restore task is defined (set TASK_<id>_RESTORE)", level="warning")
        return EXIT_OK
    log.event(f"restore order: {', '.join(task.id for task in tasks)}")
    succeeded = run_in_order(
        tasks,
        work_dir=Path(config.work_dir),
        state_dir=Path(config.state_dir),
        env=loaded.environment.values,
        stop_grace=config.stop_grace,
        log=log,
        observer=observers_for(config, log),
        trigger=Trigger.RESTORE,
        stop_at_failure=True,
    )
    return EXIT_OK if succeeded else EXIT_FAILED
