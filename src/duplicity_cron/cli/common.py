"""What the commands share: exit codes, argument parsing that never exits, reporting problems, running
tasks now (`exec`, `restore`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..config.environment import Environment
from ..log import Log
from ..model import Task, Trigger, printable
from ..monitoring.fanout import observers_for
from ..runner.containers import recover_stopped_containers, touched_by_tasks
from ..runner.context import RunContext
from ..runner.foreground import run_in_order

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# The tasks ran and succeeded, but a run could not be recorded (state folder unwritable or full):
# `status`, `healthcheck` and the metrics will not see it, so the caller must not take it for a plain 0.
EXIT_UNRECORDED = 3


class UsageError(Exception):
    """A command line this program cannot read or act on: exit 2 with the message, nothing run."""


def parser(command: str, description: str, usage: str | None = None) -> argparse.ArgumentParser:
    """A command's parser; `description` is its `--help` text, kept as written (lines and all)."""
    return argparse.ArgumentParser(
        prog=f"duplicity-cron {command}",
        description=description,
        usage=usage,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        exit_on_error=False,
    )


def error(message: str) -> None:
    """A line on stderr, with control characters escaped: what a user typed or a file held must not
    drive the terminal."""
    print(printable(message), file=sys.stderr)


def parse(command_parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace | None:
    """The options, or None after printing the usage error."""
    try:
        return command_parser.parse_args(args)
    except argparse.ArgumentError as exc:
        error(f"{command_parser.prog}: {exc}")
        return None


def report_problems(problems: Sequence[str]) -> int:
    error(f"duplicity-cron: {len(problems)} configuration error(s); nothing was run:")
    for problem in problems:
        error(f"  - {problem}")
    return EXIT_USAGE


def defined_tasks(names: Collection[str]) -> str:
    """`(defined: a, b)` for a message about an unknown task."""
    return f"(defined: {', '.join(sorted(names)) or 'none'})"


@dataclass(frozen=True)
class Loaded:
    """What a command that runs after validation gets."""

    environment: Environment
    config: Config
    log: Log
    env_files: tuple[str, ...] = ()  # the --env-file files, for helm-values


def run_now(loaded: Loaded, tasks: Sequence[Task], trigger: Trigger, stop_at_failure: bool) -> int:
    """Run `tasks` one after the other: 1 if one failed, else 3 if a run could not be recorded, else 0."""
    config, log = loaded.config, loaded.log
    observers = observers_for(config, log)
    context = RunContext.of(config, loaded.environment.values, log, observers)
    recover_stopped_containers(config.tasks.values(), context)  # what a killed runner left stopped
    succeeded = run_in_order(tasks, context, trigger, stop_at_failure)
    lost = observers.unrecorded
    if lost:
        code = f" (exit code {EXIT_UNRECORDED})" if succeeded else ""
        log.event(
            f"the run(s) of {', '.join(lost)} could not be recorded in {config.state_dir}: status, "
            f"healthcheck and the metrics will not see them{code}",
            level="error",
        )
    if not succeeded:
        return EXIT_FAILED
    return EXIT_UNRECORDED if lost else EXIT_OK


def add_containers(entries: Sequence[dict[str, Any]], tasks: Sequence[Task], loaded: Loaded) -> None:
    """`containers` in each entry of `list`/`status`: what the task's runs do to the engine's labelled
    containers (asked of the engine); left out when labels are not read (CONF_DOCKER_LABELS)."""
    touched = touched_by_tasks(tasks, loaded.config.docker_labels, loaded.environment.values)
    if touched is not None:
        for entry, task in zip(entries, tasks, strict=True):
            entry["containers"] = touched[task.id]
