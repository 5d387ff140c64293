"""The `duplicity-cron` command: a thin dispatcher over one module per command.

Exit codes: 0 ok, 1 a task failed, 2 usage or configuration error.
May import every other package; none imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..config import ConfigError
from ..log import Log
from . import check, exec_tasks, healthcheck, list_tasks, passthrough, restore, run, status
from .common import EXIT_OK, Loaded, report_problems
from .loading import load

USAGE = """\
usage: duplicity-cron [--env-file FILE]... [COMMAND [ARGS...]]

commands:
  run                 validate, print the plan, run tasks when due until SIGTERM/SIGINT (default)
  exec TASK [TASK...] run those tasks now, one after the other
  restore             run every restore task once, in order; stop at the first failure
  restore TASK [--time T] [--to DIR] [--path P] [--force]
                      restore the backup of a task with TARGET (the latest, or the one at T)
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

COMMANDS: dict[str, Callable[[list[str], Loaded], int]] = {
    "run": run.main,
    "exec": exec_tasks.main,
    "restore": restore.main,
    "list": list_tasks.main,
    "check": check.main,
    "status": status.main,
}
# Commands whose stdout is their own output (list --json, status --json): warnings go to stderr.
_LOGGING_COMMANDS = ("run", "exec", "restore")


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
        return report_problems(exc.problems)
    if args[:1] == ["healthcheck"]:
        return healthcheck.main(env_files, args[1:])
    try:
        environment, config = load(env_files)
    except ConfigError as exc:
        return report_problems(exc.problems)

    command, rest = (args[0], args[1:]) if args else ("run", [])
    log = Log(environment.mask, config.timezone, config.log_format)
    for warning in environment.warnings:
        if command in _LOGGING_COMMANDS:
            log.event(warning, level="warning")
        else:  # keep stdout for the command's own output (list --json, status --json)
            print(f"duplicity-cron: warning: {environment.mask(warning)}", file=sys.stderr)
    if command not in COMMANDS:
        return passthrough.main(args, environment)
    return COMMANDS[command](rest, Loaded(environment, config, log))


def execute_restore() -> int:
    """The original image's `execute-restore` command."""
    return main(["restore", *sys.argv[1:]])
