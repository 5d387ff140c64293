"""`restore` (also `execute-restore`): every restore task once, ordered by `<RESTORE>_<id>`; stop at
the first failure. `restore TASK [...]` restores a backup task's TARGET instead (`restore_task`)."""

from __future__ import annotations

from ..model import Trigger
from . import restore_task
from .common import EXIT_USAGE, Loaded, error, parse, parser, run_now

SUMMARY = restore_task.SUMMARY
command_parser = restore_task.command_parser


def main(args: list[str], loaded: Loaded) -> int:
    if any(not arg.startswith("-") for arg in args):  # a TASK argument was given
        return restore_task.main(args, loaded)
    if parse(parser("restore", restore_task.SUMMARY), args) is None:
        return EXIT_USAGE
    config, log = loaded.config, loaded.log
    tasks = config.restore_tasks
    if not tasks:
        # Automation must not take "nothing to do" for "restored".
        error(
            "duplicity-cron restore: no restore task is defined (set TASK_<id>_RESTORE on the tasks that "
            "restore); nothing was run"
        )
        return EXIT_USAGE
    log.event(f"restore order: {', '.join(task.id for task in tasks)}")
    return run_now(loaded, tasks, Trigger.RESTORE, stop_at_failure=True)
