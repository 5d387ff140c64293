"""Parsing and validation of the configuration: `TASK_<id>_<KEY>` tasks and `CONF_*` settings.

Pure: takes an environment mapping, returns a `Config` or every problem found at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import PurePosixPath

from .durations import DurationError, parse_duration
from .schedule import Schedule, ScheduleError, parse_timezone

# Steps in the order a run goes through them; SUCCEED belongs to the main chain, as in the original.
MAIN_STEPS = ("prepare", "extract", "transform", "load", "succeed")
HOOK_STEPS = ("failed", "finally")
STEPS = MAIN_STEPS + HOOK_STEPS

SETTING_KEYS = ("CRONTAB", "PERIODICITY", "RESTORE", "TIMEOUT", "TZ")
KEYS = tuple(step.upper() for step in STEPS) + SETTING_KEYS
# Longest first, so that a key that ends with another key wins (NOTIFY_ON before ON).
_KEYS_BY_LENGTH = sorted(KEYS, key=len, reverse=True)

TASK_PREFIX = "TASK_"
# Exported to the steps by the runner itself; a nested `duplicity-cron` inside a step must not choke on it.
RESERVED_VARIABLES = frozenset({"TASK_ID"})
_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

DEFAULT_WORK_DIR = "/workdir"
DEFAULT_STOP_GRACE = 8.0
_DEFAULT_WORK_PATH = PurePosixPath(DEFAULT_WORK_DIR)


class ConfigError(Exception):
    """The configuration has problems; `problems` lists each, naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Task:
    """One task as defined by its `TASK_<id>_*` variables."""

    id: str
    steps: Mapping[str, str]
    schedule: Schedule | None = None
    restore: str | None = None
    timeout: float | None = None

    @property
    def restore_order_key(self) -> str:
        """The original orders restore tasks by the file name `<RESTORE>_<id>`."""
        return f"{self.restore}_{self.id}"


@dataclass(frozen=True)
class Config:
    tasks: Mapping[str, Task]
    work_dir: PurePosixPath = _DEFAULT_WORK_PATH
    timezone: tzinfo = UTC
    log_format: str = "text"
    stop_grace: float = DEFAULT_STOP_GRACE

    @property
    def scheduled_tasks(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.schedule is not None]

    @property
    def restore_tasks(self) -> list[Task]:
        restores = [task for task in self.tasks.values() if task.restore is not None]
        return sorted(restores, key=lambda task: task.restore_order_key)


def split_task_variable(name: str) -> tuple[str, str] | None:
    """Split `TASK_<id>_<KEY>` into (id, KEY) with KEY the longest known suffix, case-insensitively.

    Returns None when no known key ends the name (the caller reports it).
    """
    rest = name[len(TASK_PREFIX) :]
    upper = rest.upper()
    for key in _KEYS_BY_LENGTH:
        if upper.endswith("_" + key) and len(rest) > len(key) + 1:
            return rest[: -len(key) - 1], key
    return None


def _unknown_key_problem(name: str) -> str:
    rest = name[len(TASK_PREFIX) :]
    if "_" not in rest:
        return f"{name}: expected TASK_<id>_<KEY> with KEY one of {', '.join(KEYS)}"
    candidates = []
    parts = rest.split("_")
    for count in (1, 2):  # keys are one or two words long
        if len(parts) > count:
            candidates.append("_".join(parts[-count:]))
    hint = ""
    for candidate in candidates:
        close = difflib.get_close_matches(candidate.upper(), KEYS, n=1, cutoff=0.7)
        if close:
            hint = f" (did you mean {close[0]}?)"
            break
    return f"{name}: unknown key {candidates[0]!r}{hint}; known keys: {', '.join(KEYS)}"


def parse_config(env: Mapping[str, str]) -> Config:
    """Build the configuration from `env`, or raise ConfigError listing every problem."""
    problems: list[str] = []
    timezone: tzinfo = UTC
    if env.get("TZ"):
        try:
            timezone = parse_timezone(env["TZ"])
        except ScheduleError as exc:
            problems.append(f"TZ: {exc}")

    log_format = env.get("CONF_LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        problems.append(
            f"CONF_LOG_FORMAT: {env['CONF_LOG_FORMAT']!r} is not a log format; expected text or json"
        )

    stop_grace = DEFAULT_STOP_GRACE
    if env.get("CONF_STOP_GRACE"):
        try:
            stop_grace = parse_duration(env["CONF_STOP_GRACE"])
        except DurationError as exc:
            problems.append(f"CONF_STOP_GRACE: {exc}")

    work_dir = PurePosixPath(env.get("CONF_WORK_DIR") or DEFAULT_WORK_DIR)
    if not work_dir.is_absolute():
        problems.append(f"CONF_WORK_DIR: {str(work_dir)!r} must be an absolute path")

    raw: dict[str, dict[str, tuple[str, str]]] = {}
    for name in sorted(env):
        if not name.startswith(TASK_PREFIX) or name in RESERVED_VARIABLES:
            continue
        split = split_task_variable(name)
        if split is None:
            problems.append(_unknown_key_problem(name))
            continue
        task_id, key = split
        if not _TASK_ID.fullmatch(task_id):
            problems.append(
                f"{name}: task id {task_id!r} may only contain letters, digits, '_', '.' and '-', "
                "and must start with a letter or digit"
            )
            continue
        entries = raw.setdefault(task_id, {})
        if key in entries:
            problems.append(f"{name}: {entries[key][0]} already sets {key} for task {task_id!r}")
            continue
        entries[key] = (name, env[name])

    tasks: dict[str, Task] = {}
    for task_id, entries in raw.items():
        task = _parse_task(task_id, entries, timezone, problems)
        if task is not None:
            tasks[task_id] = task

    if problems:
        raise ConfigError(problems)
    return Config(
        tasks=tasks,
        work_dir=work_dir,
        timezone=timezone,
        log_format=log_format,
        stop_grace=stop_grace,
    )


def _parse_task(
    task_id: str, entries: dict[str, tuple[str, str]], default_tz: tzinfo, problems: list[str]
) -> Task | None:
    before = len(problems)

    def setting(key: str) -> tuple[str, str] | None:
        """The (variable, value) of a setting; an empty value is a problem, not a silent default."""
        if key not in entries:
            return None
        variable, value = entries[key]
        if not value.strip():
            problems.append(f"{variable}: is empty")
            return None
        return variable, value

    timezone = default_tz
    if tz_entry := setting("TZ"):
        try:
            timezone = parse_timezone(tz_entry[1])
        except ScheduleError as exc:
            problems.append(f"{tz_entry[0]}: {exc}")

    crontab, periodicity = setting("CRONTAB"), setting("PERIODICITY")
    schedule: Schedule | None = None
    if crontab and periodicity:
        problems.append(f"{crontab[0]}: task {task_id!r} sets both CRONTAB and PERIODICITY; keep one")
    elif crontab:
        try:
            schedule = Schedule.from_crontab(crontab[1], timezone)
        except ScheduleError as exc:
            problems.append(f"{crontab[0]}: {exc}")
    elif periodicity:
        try:
            schedule = Schedule.from_periodicity(periodicity[1], timezone)
        except ScheduleError as exc:
            problems.append(f"{periodicity[0]}: {exc}")

    restore_entry = setting("RESTORE")
    restore = restore_entry[1].strip() if restore_entry else None
    if restore_entry and (crontab or periodicity):
        problems.append(
            f"{restore_entry[0]}: task {task_id!r} is a restore task and cannot also have a schedule"
        )

    timeout: float | None = None
    if timeout_entry := setting("TIMEOUT"):
        try:
            timeout = parse_duration(timeout_entry[1])
        except DurationError as exc:
            problems.append(f"{timeout_entry[0]}: {exc}")

    steps = {
        step: entries[step.upper()][1]
        for step in STEPS
        if step.upper() in entries and entries[step.upper()][1].strip()
    }
    if not steps:
        problems.append(
            f"TASK_{task_id}_*: task {task_id!r} defines no step; "
            f"set at least one of {', '.join('TASK_' + task_id + '_' + s.upper() for s in MAIN_STEPS)}"
        )

    if len(problems) > before:
        return None
    return Task(id=task_id, steps=steps, schedule=schedule, restore=restore, timeout=timeout)
