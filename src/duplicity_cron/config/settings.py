"""The whole configuration: the `CONF_*` settings and `TZ` (one row each in `SETTINGS`), plus the tasks
(parsed in `config.tasks`).

Pure: takes an environment mapping, returns a `Config` or every problem found at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import PurePosixPath
from typing import Any

from ..model import Task
from .duplicity_options import options_problems, step_warnings, variable_warnings
from .duplicity_values import gnupg_home_problem, nesting_problem, passphrase_problem
from .durations import DAY, MAX_WAIT, parse_interval_or_off, parse_wait
from .errors import ConfigError
from .schedules import parse_timezone, seconds_warning
from .sizes import size_problems
from .tasks import parse_tasks
from .values import (
    parse_absolute_path,
    parse_docker_labels,
    parse_log_format,
    parse_notify_on,
    parse_port,
    parse_pushgateway_url,
    parse_restore_jobs,
    split_urls,
)

DEFAULT_WORK_DIR = "/workdir"
DEFAULT_STATE_DIR = "/var/lib/duplicity-cron"
DEFAULT_STOP_GRACE = 8.0
DEFAULT_PROGRESS_INTERVAL = 60.0
DEFAULT_RESTORE_TIMEOUT = 12 * 3600.0  # a TB at duplicity's 104 MB/s restore is under 3 h (Benchmarks)
CONF_PREFIX = "CONF_"


@dataclass(frozen=True)
class Config:
    tasks: Mapping[str, Task]
    work_dir: PurePosixPath = PurePosixPath(DEFAULT_WORK_DIR)  # noqa: RUF009 - immutable value
    state_dir: PurePosixPath = PurePosixPath(DEFAULT_STATE_DIR)  # noqa: RUF009 - immutable value
    timezone: tzinfo = UTC
    log_format: str = "text"
    stop_grace: float = DEFAULT_STOP_GRACE
    notify_urls: tuple[str, ...] = ()
    notify_on: str = "failure"
    metrics_port: int | None = None
    # Start-up warnings of the configuration (old duplicity options in steps): printed, never fatal.
    warnings: tuple[str, ...] = ()
    pushgateway_url: str | None = None
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL  # 0: off
    # Built-in backups: CONF_PROGRESS_INTERVAL only when it is set. duplicity's --progress first runs
    # a dry backup over all of SOURCE (dup_main.full_backup/incremental_backup): 1.37x the wall time of
    # a 1 GB backup, measured (README, Benchmarks). Restores and drills have no such pass.
    backup_progress_interval: float = 0.0
    restore_timeout: float = DEFAULT_RESTORE_TIMEOUT  # `restore TASK`, and drills without TIMEOUT
    docker_labels: str = "auto"  # CONF_DOCKER_LABELS: act on the engine's labelled containers
    restore_jobs: int = 1  # CONF_RESTORE_JOBS: connections a database is loaded on; 0 (auto): the CPUs

    @property
    def scheduled_tasks(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.schedule is not None]

    @property
    def drill_tasks(self) -> list[Task]:
        """The tasks with a VERIFY schedule (a TARGET too: the configuration requires it)."""
        return [task for task in self.tasks.values() if task.verify is not None]

    @property
    def restore_tasks(self) -> list[Task]:
        restores = [task for task in self.tasks.values() if task.restore is not None]
        return sorted(restores, key=lambda task: task.restore_order_key)

    def notify_urls_for(self, task: Task) -> tuple[str, ...]:
        """The task's URLs add to the global ones."""
        return self.notify_urls + tuple(url for url in task.notify_urls if url not in self.notify_urls)

    def notify_on_for(self, task: Task) -> str:
        """The task's NOTIFY_ON governs all its notifications, the global URLs' too."""
        return task.notify_on or self.notify_on


@dataclass(frozen=True)
class Setting:
    """One global variable: the `Config` field it sets, its parser, and what the README says of it."""

    variable: str
    field: str
    parse: Callable[[str], Any]
    default: str  # as the README shows it
    doc: str
    empty_is_default: bool = False  # only TZ: an empty TZ is UTC for every program


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TZ",
        "timezone",
        parse_timezone,
        "UTC",
        "default time zone of the schedules and of the log's timestamps",
        empty_is_default=True,
    ),
    Setting(
        "CONF_WORK_DIR",
        "work_dir",
        parse_absolute_path,
        f"`{DEFAULT_WORK_DIR}`",
        "root of the tasks' `src`/`dst` folders, and the steps' working directory",
    ),
    Setting(
        "CONF_STATE_DIR",
        "state_dir",
        parse_absolute_path,
        f"`{DEFAULT_STATE_DIR}`",
        "run history and heartbeat (keep it on a volume)",
    ),
    Setting("CONF_LOG_FORMAT", "log_format", parse_log_format, "`text`", "`text` or `json`"),
    Setting(
        "CONF_STOP_GRACE",
        "stop_grace",
        parse_wait,
        f"`{DEFAULT_STOP_GRACE:g}s`",
        f"how long `failed`/`finally` may run after SIGTERM (at most `{MAX_WAIT // DAY}d`)",
    ),
    Setting(
        "CONF_NOTIFY_URLS",
        "notify_urls",
        split_urls,
        "none",
        "Apprise URLs for every task, separated by spaces or commas (masked)",
    ),
    Setting(
        "CONF_NOTIFY_ON",
        "notify_on",
        parse_notify_on,
        "`failure`",
        "`failure` (failed or timed out runs, drills and restores), `always` or `never`",
    ),
    Setting(
        "CONF_METRICS_PORT",
        "metrics_port",
        parse_port,
        "none",
        "serve Prometheus `/metrics` and the status page (`/`) on this port (only `run`)",
    ),
    Setting(
        "CONF_PUSHGATEWAY_URL",
        "pushgateway_url",
        parse_pushgateway_url,
        "none",
        "push each run's metrics to this Prometheus Pushgateway (`exec`, `restore`; for CronJobs, "
        "which nothing scrapes); `https://user:password@host` sends basic auth",
    ),
    Setting(
        "CONF_PROGRESS_INTERVAL",
        "progress_interval",
        parse_interval_or_off,
        f"`{DEFAULT_PROGRESS_INTERVAL:g}s`",
        "a progress line this often during `restore TASK` and drills (a bar on a terminal), and during "
        "built-in backups only when set (duplicity's progress reads SOURCE twice); `0`: off",
    ),
    Setting(
        "CONF_RESTORE_TIMEOUT",
        "restore_timeout",
        parse_wait,
        f"`{DEFAULT_RESTORE_TIMEOUT / 3600:g}h`",
        "how long `restore TASK` may take, and a drill of a task without TIMEOUT; then it is stopped "
        f"and what it made removed (at most `{MAX_WAIT // DAY}d`)",
    ),
    Setting(
        "CONF_RESTORE_JOBS",
        "restore_jobs",
        parse_restore_jobs,
        "`1`",
        "how many connections `restore TASK` and drills load a PostgreSQL or MariaDB database on: `1`, one "
        "script into one client; N or `auto` (the CPUs, at most 8): its tables' rows in pieces, then its "
        "indexes (MariaDB: the keys MyISAM and Aria defer), at once, on at most half the server's free "
        "connections (measured no faster on 2 cores shared with the server, hence not the default); two "
        "databases are loaded at once ([PostgreSQL](../how-to/postgresql.md#restore-on-several-connections), "
        "[MariaDB](../how-to/mariadb.md#restore-on-several-connections))",
    ),
    Setting(
        "CONF_DOCKER_LABELS",
        "docker_labels",
        parse_docker_labels,
        "`auto`",
        "act on the `duplicity-cron.*` labels of a Docker-compatible engine's containers (stop them during "
        "a backup, run commands in them): `on` (a run fails without an engine), `off`, or `auto`: on when "
        "the `docker` library is installed (the docker image) and DOCKER_HOST is set or "
        "`/var/run/docker.sock` exists ([Containers](../how-to/containers.md))",
    ),
)


KNOWN_SETTINGS = tuple(setting.variable for setting in SETTINGS if setting.variable.startswith(CONF_PREFIX))


def parse_settings(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """The `Config` fields the settings set. An unset variable keeps the default; an empty one is a
    problem, as for task keys (`CONF_STATE_DIR=${UNSET}` must not write to the default in silence)."""
    values = {}
    for setting in SETTINGS:
        if setting.variable not in env:
            continue
        if not env[setting.variable].strip():
            if not setting.empty_is_default:
                problems.append(
                    f"{setting.variable}: is empty; give it a value or unset it for the default "
                    f"({setting.default.strip('`')})"
                )
            continue
        try:
            values[setting.field] = setting.parse(env[setting.variable])
        except ValueError as exc:
            problems.append(f"{setting.variable}: {exc}")
    return values


def unknown_setting_problems(env: Mapping[str, str]) -> list[str]:
    """A problem for each `CONF_*` variable (in any case) that is no setting, with a hint for near misses."""
    problems = []
    for name in sorted(env):
        if name.upper().startswith(CONF_PREFIX) and name not in KNOWN_SETTINGS:
            close = difflib.get_close_matches(name.upper(), KNOWN_SETTINGS, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{name}: unknown setting{hint}; known settings: {', '.join(KNOWN_SETTINGS)}")
    return problems


def state_dir_of(env: Mapping[str, str]) -> PurePosixPath:
    """CONF_STATE_DIR alone, through its parser (for `healthcheck`, which validates nothing else)."""
    problems: list[str] = []
    values = parse_settings({name: env[name] for name in ("CONF_STATE_DIR",) if name in env}, problems)
    if problems:
        raise ConfigError(problems)
    return Config(tasks={}, **values).state_dir


def _target_problems(
    tasks: Mapping[str, Task], work_dir: str, env: Mapping[str, str], unread: Collection[str]
) -> list[str]:
    """What the built-in commands of the tasks with TARGET need from the rest of the configuration.
    A PASSPHRASE whose file could not be read is not missing: that file's error says what to do."""
    problems = []
    named = "PASSPHRASE" in unread
    for task in sorted(tasks.values(), key=lambda t: t.id):
        if task.target is not None:
            for problem in (
                gnupg_home_problem(work_dir, task.id),
                passphrase_problem(task.options, env, public_key=named or task.encrypt_key is not None),
            ):
                if problem:
                    problems.append(f"TASK_{task.id}_TARGET: {problem}")
            if nested := nesting_problem(task.id, task.target, task.source, work_dir):
                problems.append(nested)
    return problems


def _old_duplicity_findings(tasks: Mapping[str, Task], env: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for duplicity 0.8's options: in OPTIONS (errors, but what 3.x only warns
    about) and in the steps' duplicity command lines (warnings), and its renamed variables."""
    errors: list[str] = []
    warnings = variable_warnings(env)
    for task in sorted(tasks.values(), key=lambda t: t.id):
        found_errors, found_warnings = options_problems(f"TASK_{task.id}_OPTIONS", task.options)
        errors += found_errors
        warnings += found_warnings
        for step, command in task.steps.items():
            warnings += step_warnings(f"TASK_{task.id}_{step.upper()}", command)
    return errors, warnings


def _schedule_warnings(tasks: Mapping[str, Task]) -> list[str]:
    """A schedule that fires every few seconds, most likely by a seconds field added by mistake."""
    warnings = []
    for task in sorted(tasks.values(), key=lambda t: t.id):
        for key, schedule in (("CRONTAB", task.schedule), ("VERIFY", task.verify)):
            if (warning := seconds_warning(schedule)) is not None:
                warnings.append(f"TASK_{task.id}_{key}: {warning}")
    return warnings


def parse_config(env: Mapping[str, str], unread: Collection[str] = ()) -> Config:
    """Build the configuration from `env`, or raise ConfigError listing every problem.

    `unread`: the variables whose `*_FILE` could not be used (an error of its own already).
    """
    problems = unknown_setting_problems(env)
    settings = parse_settings(env, problems)
    tasks = parse_tasks(env, settings.get("timezone", UTC), problems)
    problems += size_problems(env, tasks, settings.get("work_dir", PurePosixPath(DEFAULT_WORK_DIR)))
    problems += _target_problems(tasks, str(settings.get("work_dir", DEFAULT_WORK_DIR)), env, unread)
    if "progress_interval" in settings:
        settings["backup_progress_interval"] = settings["progress_interval"]
    old_errors, warnings = _old_duplicity_findings(tasks, env)
    problems += old_errors
    warnings += _schedule_warnings(tasks)
    if problems:
        raise ConfigError(problems)
    return Config(tasks=tasks, warnings=tuple(warnings), **settings)
