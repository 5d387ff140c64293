"""The `duplicity-cron` command: run (default), exec, restore, list, check, or exec of any other command.

Exit codes: 0 ok, 1 a task failed, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from . import __version__, reaper
from .config import Config, ConfigError, parse_config
from .durations import format_duration
from .environment import Environment, build_environment
from .log import Log
from .result import RunResult, Trigger
from .run import run_task
from .scheduler import Scheduler
from .step import Cancel
from .tasks import Task

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = ("run", "exec", "restore", "list", "check")

USAGE = """\
usage: duplicity-cron [--env-file FILE]... [COMMAND [ARGS...]]

commands:
  run                 validate, print the plan, run tasks when due until SIGTERM/SIGINT (default)
  exec TASK [TASK...] run those tasks now, one after the other
  restore             run every restore task once, in order; stop at the first failure
  list [--json]       tasks, schedule, time zone and next three run times
  check               validate the configuration; print every problem
  OTHER [ARGS...]     validate, then execute OTHER (for example: duplicity --version, bash)

options:
  --env-file FILE     layer the variables of a docker-style env file over the environment (repeatable)
  -h, --help          show this help
  --version           show the version

exit codes: 0 ok, 1 a task failed, 2 usage or configuration error
"""


def _zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def _split_global_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """Take the leading `--env-file` options; the rest is the command and its arguments."""
    env_files: list[str] = []
    rest = list(argv)
    while rest and rest[0].startswith("--env-file"):
        option = rest.pop(0)
        if option.startswith("--env-file="):
            env_files.append(option.split("=", 1)[1])
        elif option == "--env-file" and rest:
            env_files.append(rest.pop(0))
        else:
            raise ConfigError([f"{option}: expected --env-file FILE"])
    return env_files, rest


def _load(env_files: Sequence[str]) -> tuple[Environment, Config]:
    """Environment and configuration, or ConfigError with every problem found."""
    environment = build_environment(os.environ, env_files)
    problems = list(environment.problems)
    config: Config | None = None
    try:
        config = parse_config(environment.values)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems or config is None:
        raise ConfigError([environment.mask(problem) for problem in problems])
    return environment, config


def _report_problems(problems: Sequence[str]) -> int:
    print(f"duplicity-cron: {len(problems)} configuration error(s); nothing was run:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return EXIT_OK
    if args and args[0] == "--version":
        print(f"duplicity-cron {__version__}")
        return EXIT_OK
    try:
        env_files, args = _split_global_options(args)
        environment, config = _load(env_files)
    except ConfigError as exc:
        return _report_problems(exc.problems)

    log = Log(environment.mask, config.timezone, config.log_format)
    for warning in environment.warnings:
        log.event(warning, level="warning")

    command, rest = (args[0], args[1:]) if args else ("run", [])
    if command not in COMMANDS:
        return _exec_other(args, environment)
    if command == "check":
        return _check(config, rest)
    if command == "list":
        return _list(config, rest)
    if command == "exec":
        return _exec_tasks(config, environment, log, rest)
    if command == "restore":
        return _restore(config, environment, log, rest)
    return _run(config, environment, log, rest)


def execute_restore() -> int:
    """The original image's `execute-restore` command."""
    return main(["restore", *sys.argv[1:]])


def _parser(command: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"duplicity-cron {command}", exit_on_error=False)


def _parse(parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace | None:
    try:
        return parser.parse_args(args)
    except argparse.ArgumentError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return None


def _check(config: Config, args: list[str]) -> int:
    if _parse(_parser("check"), args) is None:
        return EXIT_USAGE
    print(
        f"configuration OK: {len(config.tasks)} task(s), {len(config.scheduled_tasks)} scheduled, "
        f"{len(config.restore_tasks)} restore"
    )
    return EXIT_OK


def _task_listing(task: Task, now: datetime, count: int = 3) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "task": task.id,
        "schedule": task.schedule.describe() if task.schedule else None,
        "timezone": _zone_name(task.schedule.timezone) if task.schedule else None,
        "next_runs": [],
        "restore": task.restore,
        "timeout": task.timeout,
        "steps": list(task.steps),
    }
    if task.schedule:
        runs = task.schedule.iter_after(now)
        entry["next_runs"] = [next(runs).isoformat() for _ in range(count)]
    return entry


def _list(config: Config, args: list[str]) -> int:
    parser = _parser("list")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = _parse(parser, args)
    if options is None:
        return EXIT_USAGE
    now = datetime.now(UTC)
    entries = [_task_listing(task, now) for task in sorted(config.tasks.values(), key=lambda t: t.id)]
    if options.json:
        print(json.dumps({"tasks": entries}, indent=2))
        return EXIT_OK
    rows = [("TASK", "SCHEDULE", "TIME ZONE", "NEXT RUNS")]
    for entry in entries:
        if entry["schedule"]:
            rows.append((entry["task"], entry["schedule"], entry["timezone"], ", ".join(entry["next_runs"])))
        elif entry["restore"] is not None:
            rows.append((entry["task"], f"restore ({entry['restore']}_{entry['task']})", "-", "-"))
        else:
            rows.append((entry["task"], "none (exec only)", "-", "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3])
    return EXIT_OK


class _Interrupter:
    """In `exec` and `restore`: SIGTERM/SIGINT interrupts the current run; hooks get the stop grace."""

    def __init__(self, grace: float, log: Log) -> None:
        self.grace = grace
        self.log = log
        self.cancel: Cancel | None = None
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.log.event(f"received {signal.Signals(signum).name}; interrupting")  # Log's lock is reentrant
        if self.cancel is not None:
            self.cancel.interrupt(time.monotonic() + self.grace)

    def run(self, task: Task, config: Config, environment: Environment, trigger: Trigger) -> RunResult:
        self.cancel = Cancel()
        try:
            return run_task(
                task,
                work_dir=Path(config.work_dir),
                env=environment.values,
                log=self.log,
                trigger=trigger,
                cancel=self.cancel,
            )
        finally:
            self.cancel.close()
            self.cancel = None


def _run_in_order(
    tasks: Sequence[Task],
    config: Config,
    environment: Environment,
    log: Log,
    trigger: Trigger,
    stop_at_failure: bool,
) -> int:
    reaper.start_reaper_if_pid1()
    interrupter = _Interrupter(config.stop_grace, log)
    signal.signal(signal.SIGTERM, interrupter)
    signal.signal(signal.SIGINT, interrupter)
    failed: list[str] = []
    for index, task in enumerate(tasks):
        if interrupter.stopping:
            log.event(f"not started: {', '.join(t.id for t in tasks[index:])}", level="warning")
            failed.extend(t.id for t in tasks[index:])
            break
        result = interrupter.run(task, config, environment, trigger)
        if not result.succeeded:
            failed.append(task.id)
            if stop_at_failure and index + 1 < len(tasks):
                log.event(
                    f"stopping at the first failure; not run: {', '.join(t.id for t in tasks[index + 1 :])}",
                    level="error",
                )
                break
    return EXIT_FAILED if failed else EXIT_OK


def _exec_tasks(config: Config, environment: Environment, log: Log, args: list[str]) -> int:
    parser = _parser("exec")
    parser.add_argument("tasks", nargs="+", metavar="TASK")
    options = _parse(parser, args)
    if options is None:
        return EXIT_USAGE
    unknown = [name for name in options.tasks if name not in config.tasks]
    if unknown:
        known = ", ".join(sorted(config.tasks)) or "none"
        print(
            f"duplicity-cron exec: unknown task(s): {', '.join(unknown)} (defined: {known})", file=sys.stderr
        )
        return EXIT_USAGE
    tasks = [config.tasks[name] for name in options.tasks]
    return _run_in_order(tasks, config, environment, log, Trigger.EXEC, stop_at_failure=False)


def _restore(config: Config, environment: Environment, log: Log, args: list[str]) -> int:
    if _parse(_parser("restore"), args) is None:
        return EXIT_USAGE
    tasks = config.restore_tasks
    if not tasks:
        log.event("no restore task is defined (set TASK_<id>_RESTORE)", level="warning")
        return EXIT_OK
    log.event(f"restore order: {', '.join(task.id for task in tasks)}")
    return _run_in_order(tasks, config, environment, log, Trigger.RESTORE, stop_at_failure=True)


def _run(config: Config, environment: Environment, log: Log, args: list[str]) -> int:
    if _parse(_parser("run"), args) is None:
        return EXIT_USAGE
    reaper.start_reaper_if_pid1()
    scheduler = Scheduler(config, environment.values, log)
    scheduler.install_signal_handlers()
    now = datetime.now(UTC)
    log.event(
        f"duplicity-cron {__version__}: {len(config.tasks)} task(s), time zone {_zone_name(config.timezone)}"
    )
    for task in sorted(config.tasks.values(), key=lambda t: t.id):
        entry = _task_listing(task, now, count=1)
        if task.schedule:
            timeout = f", timeout {format_duration(task.timeout)}" if task.timeout else ""
            log.event(
                f"plan: {entry['schedule']} ({entry['timezone']}{timeout}), next run {entry['next_runs'][0]}",
                task=task.id,
            )
        else:
            kind = "restore task" if task.restore is not None else "not scheduled (exec only)"
            log.event(f"plan: {kind}", task=task.id)
    scheduler.run_forever()
    return EXIT_OK


def _exec_other(args: list[str], environment: Environment) -> int:
    """Replace this process with `args`, as the original entrypoint did."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(args[0], args, environment.values)
    except FileNotFoundError:
        print(f"duplicity-cron: {args[0]}: command not found", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"duplicity-cron: {args[0]}: permission denied", file=sys.stderr)
        return 126


if __name__ == "__main__":
    sys.exit(main())
