"""The `duplicity-cron` command: run (default), exec, restore, list, check, or exec of any other command.

Exit codes: 0 ok, 1 a task failed, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__, health, heartbeat, history, notify, reaper, status
from .config import DEFAULT_STATE_DIR, Config, ConfigError, parse_config
from .durations import format_duration
from .environment import Environment, build_environment
from .foreground import run_in_order
from .heartbeat import PlannedTask
from .log import Log
from .report import Reporter
from .result import Trigger
from .scheduler import Scheduler, plan
from .tasks import split_urls

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = ("run", "exec", "restore", "list", "check", "status", "healthcheck")

USAGE = """\
usage: duplicity-cron [--env-file FILE]... [COMMAND [ARGS...]]

commands:
  run                 validate, print the plan, run tasks when due until SIGTERM/SIGINT (default)
  exec TASK [TASK...] run those tasks now, one after the other
  restore             run every restore task once, in order; stop at the first failure
  list [--json]       tasks, schedule, time zone and next three run times
  check               validate the configuration; print every problem
  status [TASK] [--json]
                      per task: schedule, last run, last success, next run, recent runs
  healthcheck         exit 0 if the scheduler runs and backups are fresh, 1 (with the reasons) if not
  OTHER [ARGS...]     validate, then execute OTHER (for example: duplicity --version, bash)

options:
  --env-file FILE     layer the variables of a docker-style env file over the environment (repeatable)
  -h, --help          show this help
  --version           show the version

exit codes: 0 ok, 1 a task failed, 2 usage or configuration error
"""


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
    # Apprise judges the notification URLs whatever else is wrong: every problem is told at once.
    for name, value in sorted(environment.values.items()):
        if name == "CONF_NOTIFY_URLS" or (name.startswith("TASK_") and name.upper().endswith("_NOTIFY_URLS")):
            problems += notify.url_problems(name, split_urls(value))
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
    except ConfigError as exc:
        return _report_problems(exc.problems)
    if args[:1] == ["healthcheck"]:
        return _healthcheck(env_files, args[1:])
    try:
        environment, config = _load(env_files)
    except ConfigError as exc:
        return _report_problems(exc.problems)

    command, rest = (args[0], args[1:]) if args else ("run", [])
    log = Log(environment.mask, config.timezone, config.log_format)
    for warning in environment.warnings:
        if command in ("run", "exec", "restore"):
            log.event(warning, level="warning")
        else:  # keep stdout for the command's own output (list --json, status --json)
            print(f"duplicity-cron: warning: {environment.mask(warning)}", file=sys.stderr)
    if command not in COMMANDS:
        return _exec_other(args, environment)
    if command == "check":
        return _check(config, rest)
    if command == "list":
        return _list(config, rest)
    if command == "status":
        return _status(config, rest)
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


def _list(config: Config, args: list[str]) -> int:
    parser = _parser("list")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = _parse(parser, args)
    if options is None:
        return EXIT_USAGE
    now = datetime.now(UTC)
    entries = [status.listing_entry(task, now) for task in sorted(config.tasks.values(), key=lambda t: t.id)]
    print(json.dumps({"tasks": entries}, indent=2) if options.json else status.list_table(entries))
    return EXIT_OK


def _status(config: Config, args: list[str]) -> int:
    parser = _parser("status")
    parser.add_argument("task", nargs="?", metavar="TASK")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = _parse(parser, args)
    if options is None:
        return EXIT_USAGE
    if options.task is not None and options.task not in config.tasks:
        known = ", ".join(sorted(config.tasks)) or "none"
        print(f"duplicity-cron status: unknown task {options.task} (defined: {known})", file=sys.stderr)
        return EXIT_USAGE
    now = datetime.now(UTC)
    names = [options.task] if options.task else sorted(config.tasks)
    state_dir = Path(config.state_dir)
    entries = [
        status.status_entry(config.tasks[name], history.load_runs(state_dir, name), now, config.timezone)
        for name in names
    ]
    if options.json:
        print(json.dumps({"tasks": entries}, indent=2))
    elif options.task:
        print(status.status_details(entries[0]))
    else:
        print(status.status_table(entries))
    return EXIT_OK


def _healthcheck(env_files: Sequence[str], args: list[str]) -> int:
    """Judged from the state folder alone, and only ever exit 0 or 1: to a container's HEALTHCHECK,
    exit 2 is reserved. The configuration is not validated: an invalid one stops `run`, which shows."""
    if args:
        print("unhealthy: healthcheck takes no argument")
        return EXIT_FAILED
    try:
        environment = build_environment(os.environ, env_files)
    except ConfigError as exc:
        print(f"unhealthy: {'; '.join(exc.problems)}")
        return EXIT_FAILED
    state_dir = Path(environment.values.get("CONF_STATE_DIR") or DEFAULT_STATE_DIR)
    beat = heartbeat.read(state_dir)
    runs = {entry.task: history.load_runs(state_dir, entry.task) for entry in beat.tasks} if beat else {}
    alive = None
    if beat is not None and beat.hostname == socket.gethostname():
        alive = _process_alive(beat.pid)
    reasons = health.judge(beat, runs, datetime.now(UTC), alive)
    print(environment.mask("unhealthy: " + "; ".join(reasons)) if reasons else "healthy")
    return EXIT_FAILED if reasons else EXIT_OK


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


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
    succeeded = run_in_order(tasks, config, environment, log, Trigger.EXEC, stop_at_failure=False)
    return EXIT_OK if succeeded else EXIT_FAILED


def _restore(config: Config, environment: Environment, log: Log, args: list[str]) -> int:
    if _parse(_parser("restore"), args) is None:
        return EXIT_USAGE
    tasks = config.restore_tasks
    if not tasks:
        log.event("no restore task is defined (set TASK_<id>_RESTORE)", level="warning")
        return EXIT_OK
    log.event(f"restore order: {', '.join(task.id for task in tasks)}")
    succeeded = run_in_order(tasks, config, environment, log, Trigger.RESTORE, stop_at_failure=True)
    return EXIT_OK if succeeded else EXIT_FAILED


def _run(config: Config, environment: Environment, log: Log, args: list[str]) -> int:
    if _parse(_parser("run"), args) is None:
        return EXIT_USAGE
    planned = plan(config, datetime.now(UTC))
    metrics = None
    if config.metrics_port is not None:
        from .metrics import Metrics  # deferred: an idle daemon without metrics need not load it

        metrics = Metrics()
        for entry in planned:
            metrics.add_task(entry.task, entry.max_age)
        metrics.refresh(Path(config.state_dir), [entry.task for entry in planned])
        try:
            metrics.serve(config.metrics_port)
        except OSError as exc:
            return _report_problems(
                [f"CONF_METRICS_PORT: cannot listen on port {config.metrics_port}: {exc}"]
            )
    scheduler = Scheduler(config, environment.values, log, Reporter(config, log, metrics))
    if metrics is not None:
        scheduler.on_next_due = metrics.set_next_run  # the next due times, as they are computed
        task_ids = [entry.task for entry in planned]
        scheduler.on_beat = lambda: metrics.refresh(Path(config.state_dir), task_ids)  # exec runs too
    try:
        beat = scheduler.start_heartbeat(planned)
    except OSError as exc:
        return _report_problems([f"CONF_STATE_DIR: cannot write the heartbeat in {config.state_dir}: {exc}"])
    reaper.start_reaper_if_pid1()
    scheduler.install_signal_handlers()
    _log_plan(config, planned, log)
    if metrics is not None:
        metrics.up.set(1)
        log.event(f"metrics on http://0.0.0.0:{config.metrics_port}/metrics")
    scheduler.run_forever(planned, beat)
    return EXIT_OK


def _log_plan(config: Config, planned: Sequence[PlannedTask], log: Log) -> None:
    zone = status.zone_name(config.timezone)
    log.event(f"duplicity-cron {__version__}: {len(config.tasks)} task(s), time zone {zone}")
    by_task = {entry.task: entry for entry in planned}
    for task in sorted(config.tasks.values(), key=lambda t: t.id):
        if task.schedule is None:
            kind = "restore task" if task.restore is not None else "not scheduled (exec only)"
            log.event(f"plan: {kind}", task=task.id)
            continue
        entry = by_task[task.id]
        next_run = entry.first_due.astimezone(task.schedule.timezone).isoformat()
        timeout = f", timeout {format_duration(task.timeout)}" if task.timeout else ""
        schedule = f"{task.schedule.describe()} ({status.zone_name(task.schedule.timezone)})"
        log.event(
            f"plan: {schedule}, next run {next_run}, max age {format_duration(entry.max_age)}{timeout}",
            task=task.id,
        )


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
