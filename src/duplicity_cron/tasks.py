"""Parsing and validation of the `TASK_<id>_<KEY>` variables into `Task` values.

Pure: every problem is appended to a list that the caller reports all at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import TypeVar
from urllib.parse import urlsplit

from .durations import parse_duration
from .schedule import Schedule, parse_timezone

# Steps in the order a run goes through them; SUCCEED belongs to the main chain, as in the original.
MAIN_STEPS = ("prepare", "extract", "transform", "load", "succeed")
HOOK_STEPS = ("failed", "finally")
STEPS = MAIN_STEPS + HOOK_STEPS

SETTING_KEYS = ("CRONTAB", "PERIODICITY", "RESTORE", "TIMEOUT", "TZ")
MONITORING_KEYS = ("MAX_AGE", "NOTIFY_URLS", "NOTIFY_ON", "PING_URL")
KEYS = tuple(step.upper() for step in STEPS) + SETTING_KEYS + MONITORING_KEYS
# Longest first, so that a key that ends with another key wins (NOTIFY_ON before ON).
_KEYS_BY_LENGTH = sorted(KEYS, key=len, reverse=True)

TASK_PREFIX = "TASK_"
# Exported to the steps by the runner itself; a nested `duplicity-cron` inside a step must not choke on it.
RESERVED_VARIABLES = frozenset({"TASK_ID"})
_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

NOTIFY_ON_VALUES = ("failure", "always", "never")

T = TypeVar("T")


@dataclass(frozen=True)
class Task:
    """One task as defined by its `TASK_<id>_*` variables."""

    id: str
    steps: Mapping[str, str]
    schedule: Schedule | None = None
    restore: str | None = None
    timeout: float | None = None
    max_age: float | None = None  # None: derived from the schedule
    notify_urls: tuple[str, ...] = ()  # in addition to CONF_NOTIFY_URLS
    notify_on: str | None = None  # None: CONF_NOTIFY_ON
    ping_url: str | None = None

    @property
    def restore_order_key(self) -> str:
        """The original orders restore tasks by the file name `<RESTORE>_<id>`."""
        return f"{self.restore}_{self.id}"


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


def split_urls(value: str) -> tuple[str, ...]:
    """URLs separated by spaces or commas."""
    return tuple(part for part in re.split(r"[\s,]+", value) if part)


def parse_notify_on(value: str) -> str:
    key = value.strip().lower()
    if key not in NOTIFY_ON_VALUES:
        raise ValueError(f"{value!r} is not one of {', '.join(NOTIFY_ON_VALUES)}")
    return key


def parse_ping_url(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("is not an http:// or https:// URL")
    return url


def parse_tasks(env: Mapping[str, str], default_tz: tzinfo, problems: list[str]) -> dict[str, Task]:
    """Every task defined in `env`; problems are appended to `problems`."""
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
        task = _TaskParser(task_id, entries, problems).parse(default_tz)
        if task is not None:
            tasks[task_id] = task
    return tasks


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


class _TaskParser:
    """The variables of one task, checked one key at a time."""

    def __init__(self, task_id: str, entries: dict[str, tuple[str, str]], problems: list[str]) -> None:
        self.task_id = task_id
        self.entries = entries
        self.problems = problems

    def setting(self, key: str) -> tuple[str, str] | None:
        """The (variable, value) of a setting; an empty value is a problem, not a silent default."""
        if key not in self.entries:
            return None
        variable, value = self.entries[key]
        if not value.strip():
            self.problems.append(f"{variable}: is empty")
            return None
        return variable, value

    def parsed(self, key: str, parse: Callable[[str], T]) -> T | None:
        """`parse` applied to the setting's value; its ValueError becomes a problem naming the variable."""
        entry = self.setting(key)
        if entry is None:
            return None
        try:
            return parse(entry[1])
        except ValueError as exc:
            self.problems.append(f"{entry[0]}: {exc}")
            return None

    def parse(self, default_tz: tzinfo) -> Task | None:
        before = len(self.problems)
        timezone = self.parsed("TZ", parse_timezone) or default_tz
        schedule = self._schedule(timezone)
        restore = self.parsed("RESTORE", str.strip)
        if restore is not None and ("CRONTAB" in self.entries or "PERIODICITY" in self.entries):
            self.problems.append(
                f"{self.entries['RESTORE'][0]}: task {self.task_id!r} is a restore task "
                "and cannot also have a schedule"
            )
        steps = {
            step: self.entries[step.upper()][1]
            for step in STEPS
            if step.upper() in self.entries and self.entries[step.upper()][1].strip()
        }
        if not steps:
            examples = ", ".join(f"TASK_{self.task_id}_{step.upper()}" for step in MAIN_STEPS)
            self.problems.append(
                f"TASK_{self.task_id}_*: task {self.task_id!r} defines no step; set one of {examples}"
            )
        task = Task(
            id=self.task_id,
            steps=steps,
            schedule=schedule,
            restore=restore,
            timeout=self.parsed("TIMEOUT", parse_duration),
            max_age=self.parsed("MAX_AGE", parse_duration),
            notify_urls=self.parsed("NOTIFY_URLS", split_urls) or (),
            notify_on=self.parsed("NOTIFY_ON", parse_notify_on),
            ping_url=self.parsed("PING_URL", parse_ping_url),
        )
        if task.max_age is not None and schedule is None:
            self.problems.append(
                f"{self.entries['MAX_AGE'][0]}: task {self.task_id!r} has no schedule to age"
            )
        return None if len(self.problems) > before else task

    def _schedule(self, timezone: tzinfo) -> Schedule | None:
        crontab, periodicity = self.setting("CRONTAB"), self.setting("PERIODICITY")
        if crontab and periodicity:
            self.problems.append(
                f"{crontab[0]}: task {self.task_id!r} sets both CRONTAB and PERIODICITY; keep one"
            )
            return None
        if crontab:
            return self.parsed("CRONTAB", lambda value: Schedule.from_crontab(value, timezone))
        if periodicity:
            return self.parsed("PERIODICITY", lambda value: Schedule.from_periodicity(value, timezone))
        return None
