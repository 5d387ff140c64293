"""The `duplicity-cron` command: a thin dispatcher over one module per command.

Exit codes: 0 ok, 1 a task failed, 2 usage or configuration error, 3 a run not recorded (the README's
"Commands" has them all).
May import every other package; none imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType

from ..config import ConfigError
from ..log import Log
from ..model import printable
from . import (
    check,
    exec_tasks,
    healthcheck,
    helm_values,
    list_tasks,
    passthrough,
    restore,
    run,
    status,
    verify,
)
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Loaded, UsageError, error, report_problems
from .last_resort import Masks, guarded
from .loading import load

# The top-level help's synopsis of each command; `COMMAND --help` has the rest.
_SYNOPSES = {
    "run": "run",
    "exec": "exec TASK [TASK...]",
    "restore": "restore [TASK [...]]",
    "verify": "verify TASK",
    "list": "list [--json]",
    "check": "check",
    "status": "status [TASK] [--json | --html FILE]",
    "healthcheck": "healthcheck [--liveness]",
    "helm-values": "helm-values [...]",
}
_MODULES: dict[str, ModuleType] = {
    "run": run,
    "exec": exec_tasks,
    "restore": restore,
    "verify": verify,
    "list": list_tasks,
    "check": check,
    "status": status,
    "healthcheck": healthcheck,
    "helm-values": helm_values,
}
# Each command's parser, for `COMMAND --help` (answered before the configuration is read) and its tests.
PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    name: module.command_parser for name, module in _MODULES.items()
}
_COMMAND_LINES = "\n".join(f"  {_SYNOPSES[name]:<25} {module.SUMMARY}" for name, module in _MODULES.items())

USAGE = f"""\
usage: duplicity-cron [--env-file FILE]... [COMMAND [ARGS...]]

commands (COMMAND --help, or help COMMAND: its arguments and options):
{_COMMAND_LINES}
  {"OTHER [ARGS...]":<25} validate, then execute OTHER (for example: duplicity --version, bash)

options:
  --env-file FILE     layer the variables of a docker-style env file over the environment (repeatable)
  -h, --help          show this help
  --version           show the version
  --                  end of the options (what follows is the command)

exit codes: 0 ok, 1 a task failed, 2 usage or configuration error, 3 the tasks ran but a run could not be
recorded (state folder unwritable or full); OTHER: its own, 126 when it cannot be executed, 127 not found
"""

COMMANDS: dict[str, Callable[[list[str], Loaded], int]] = {
    "run": run.main,
    "exec": exec_tasks.main,
    "restore": restore.main,
    "list": list_tasks.main,
    "check": check.main,
    "status": status.main,
    "helm-values": helm_values.main,
    "verify": verify.main,
}
_OPTIONS = "--env-file FILE, -h, --help, --version"
# Commands whose stdout is their own output (list --json, status --json): warnings go to stderr.
_LOGGING_COMMANDS = ("run", "exec", "restore", "verify")


@dataclass(frozen=True)
class _CommandLine:
    env_files: list[str]
    args: list[str]  # the command and its arguments
    show: str | None = None  # "help" or "version"


def _split_global_options(argv: list[str]) -> _CommandLine:
    """Take the options before the command (`--` ends them); the rest is the command and its arguments.

    UsageError for an unknown option: `--foo check` is a typo to tell, not a command to look for.
    """
    env_files: list[str] = []
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--":
            break
        if option in ("-h", "--help"):
            return _CommandLine(env_files, rest, "help")
        if option == "--version":
            return _CommandLine(env_files, rest, "version")
        if option.startswith("--env-file="):
            env_files.append(option.split("=", 1)[1])
        elif option == "--env-file":
            if not rest:
                raise UsageError("--env-file needs a FILE")
            env_files.append(rest.pop(0))
        else:
            raise UsageError(f"unknown option {option!r} (options before the command: {_OPTIONS})")
    return _CommandLine(env_files, rest)


def _command_word(argv: list[str]) -> str | None:
    """The first word that is neither an option nor an option's value: the command meant."""
    words = iter(argv)
    for word in words:
        if word == "--env-file":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _usage_error(message: str, argv: list[str]) -> int:
    if _command_word(argv) == "healthcheck":  # a container's HEALTHCHECK knows only 0 and 1
        print(printable(f"unhealthy: {message}"))
        return EXIT_FAILED
    error(f"duplicity-cron: {message}")
    error(USAGE.splitlines()[0])
    return EXIT_USAGE


def _asks_help(args: list[str]) -> bool:
    """`-h` or `--help` among a command's arguments, before a `--`."""
    words = args[: args.index("--")] if "--" in args else args
    return "-h" in words or "--help" in words


def _help(args: list[str]) -> int:
    """The top-level help, or a command's (`help COMMAND`, `COMMAND --help`): exit 0."""
    if not args:
        print(USAGE, end="")
        return EXIT_OK
    if args[0] not in PARSERS:
        error(f"duplicity-cron help: unknown command {args[0]!r} (commands: {', '.join(PARSERS)})")
        return EXIT_USAGE
    PARSERS[args[0]]().print_help()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda masks: _main(args, masks), healthcheck=_command_word(args) == "healthcheck")


def _main(args: list[str], masks: Masks) -> int:
    try:
        line = _split_global_options(args)
    except UsageError as exc:
        return _usage_error(str(exc), args)
    if line.show == "help" or line.args[:1] == ["help"]:
        return _help(line.args[1:] if line.args[:1] == ["help"] else [])
    if line.show == "version":
        from .. import __version__  # looked up only here: see duplicity_cron.__getattr__

        print(f"duplicity-cron {__version__}")
        return EXIT_OK
    env_files, args = line.env_files, line.args
    if args[:1] and args[0] in PARSERS and _asks_help(args[1:]):
        return _help(args[:1])  # before the configuration is read: help needs none
    if args[:1] == ["healthcheck"]:
        return healthcheck.main(env_files, args[1:])
    try:
        environment, config = load(env_files)
    except ConfigError as exc:
        return report_problems(exc.problems)
    masks.mask = environment.mask

    command, rest = (args[0], args[1:]) if args else ("run", [])
    log = Log(environment.mask, config.timezone, config.log_format)
    for warning in (*environment.warnings, *config.warnings):
        if command in _LOGGING_COMMANDS:
            log.event(warning, level="warning")
        else:  # keep stdout for the command's own output (list --json, status --json)
            error(f"duplicity-cron: warning: {environment.mask(warning)}")
    if command not in COMMANDS:
        return passthrough.main(args, environment)
    return COMMANDS[command](rest, Loaded(environment, config, log, tuple(env_files)))


def execute_restore() -> int:
    """The original image's `execute-restore` command."""
    return main(["restore", *sys.argv[1:]])
