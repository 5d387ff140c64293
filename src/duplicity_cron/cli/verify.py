"""`verify TASK`: a drill now. Proves the latest backup of a task with TARGET can be restored (see
`runner.verify_backup`); recorded, notified and pinged as a run with trigger `verify`.

SIGTERM/SIGINT stop it as a shutdown stops a scheduled drill: the running step is stopped, and what
must be undone is (a database drill's scratch databases are dropped) within CONF_STOP_GRACE.

Exit codes: 0 verified, 1 the drill failed (or was skipped: a run of the task is going on; or it could
not be recorded; or it was stopped), 2 a usage error (nothing was run).
"""

from __future__ import annotations

import argparse
import sys

from ..monitoring.fanout import observers_for
from ..runner.context import RunContext
from ..runner.foreground import Interrupter
from ..runner.processes.cancel import on_stop_signals
from ..runner.verify_backup import verify_backup
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, defined_tasks, error, parse, parser

SUMMARY = "a drill: restore a task's latest backup into scratch and check it whole"


def command_parser() -> argparse.ArgumentParser:
    command_parser = parser(
        "verify",
        f"{SUMMARY}.\n\nA task with TARGET: restore into a scratch folder, check every volume, compare "
        "what it holds\nwith what the backup recorded. With DATABASE_URL: load the dump into scratch "
        "databases and\ncount every table. Recorded and notified as a run (trigger verify).\n\n"
        "Exit 0 verified; 1 failed, skipped (the task is running) or not recorded; 2 a usage error.",
    )
    command_parser.add_argument("task", metavar="TASK", help="a task with TARGET")
    return command_parser


def main(args: list[str], loaded: Loaded) -> int:
    options = parse(command_parser(), args)
    if options is None:
        return EXIT_USAGE
    config, log = loaded.config, loaded.log
    task = config.tasks.get(options.task)
    if task is None or task.target is None:
        with_target = [t.id for t in config.tasks.values() if t.target is not None]
        why = "unknown task" if task is None else "no TARGET to verify for task"
        error(f"duplicity-cron verify: {why} {options.task} {defined_tasks(with_target)}")
        return EXIT_USAGE
    observers = observers_for(config, log)
    terminal = sys.stderr if sys.stderr.isatty() else None  # a live bar instead of progress lines
    context = RunContext.of(config, loaded.environment.values, log, observers, terminal)
    interrupter = Interrupter(config.stop_grace)
    on_stop_signals(interrupter)
    with interrupter.running() as cancel:
        result = verify_backup(task, context, cancel)
    if observers.unrecorded:
        log.event(
            f"the drill could not be recorded in {config.state_dir}: status and healthcheck will not see it",
            task=task.id,
            level="error",
        )
        return EXIT_FAILED
    return EXIT_OK if result.succeeded else EXIT_FAILED
