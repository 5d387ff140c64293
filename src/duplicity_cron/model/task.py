"""A task as its `TASK_<id>_*` variables define it, when it is due, and the steps a run of it goes
through: the step vocabulary and the predicates every layer asks of a task."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from .database import DatabaseUrl

# Steps in the order a run goes through them; SUCCEED belongs to the main chain, as in the original.
MAIN_STEPS = ("prepare", "extract", "transform", "load", "succeed")
HOOK_STEPS = ("failed", "finally")
STEPS = MAIN_STEPS + HOOK_STEPS
# A step of the runner's own, not a key: KEEP_FULL/KEEP retention, after LOAD, before SUCCEED.
RETENTION_STEP = "retention"
CHAIN_STEPS = ("prepare", "extract", "transform", "load", RETENTION_STEP, "succeed")


class Schedule(Protocol):
    """When a task is due. The cron implementation is `config.schedules.CronSchedule`; tests fake it."""

    @property
    def timezone(self) -> tzinfo: ...

    def next_after(self, moment: datetime) -> datetime:
        """The first due time strictly after `moment` (an aware datetime)."""
        ...

    def iter_after(self, moment: datetime) -> Iterator[datetime]:
        """Due times strictly after `moment`, in order."""
        ...

    def longest_gap(self, start: datetime) -> float:
        """The longest time in seconds between two due times, over a year from `start`."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class SqlCheck:
    """One line of VERIFY_SQL: a statement a drill runs on its scratch copy of `database` ("": the one
    database of the dump), which must return a true value. `line` is its line number, for messages."""

    database: str
    statement: str
    line: int = 1

    def describe(self) -> str:
        where = f"{self.database}: " if self.database else ""
        return f"VERIFY_SQL line {self.line} ({where}{self.statement})"


@dataclass(frozen=True)
class Task:
    """One task as defined by its `TASK_<id>_*` variables (see `config.task_keys` for each key)."""

    id: str
    steps: Mapping[str, str]
    schedule: Schedule | None = None
    restore: str | None = None
    timeout: float | None = None
    max_age: float | None = None  # None: derived from the schedule
    notify_urls: tuple[str, ...] = ()  # in addition to CONF_NOTIFY_URLS
    notify_on: str | None = None  # None: CONF_NOTIFY_ON
    ping_url: str | None = None
    # The built-in backup (see `targets.duplicity`): a duplicity URL, and how to back up into it.
    target: str | None = None
    source: str | None = None  # None: the run's $SRC
    full_every: str | None = None  # None: the documented default
    options: tuple[str, ...] = ()  # extra duplicity options, appended
    keep_full: int | None = None  # full chains to keep
    keep: str | None = None  # remove chains older than this duplicity interval
    shrink_limit: int | None = None  # percent SOURCE may shrink by; None: the documented default
    on_shrink: str | None = None  # "warn" or "fail"; None: warn
    # Public-key encryption (see `config.encryption`): the fingerprint, and the armored keys, kept out
    # of the repr so that no traceback or debug print shows key material.
    encrypt_key: str | None = None
    public_key: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    # The built-in dump (see `databases`): a database server's URL, which databases, and the password.
    database_url: DatabaseUrl | None = field(default=None, repr=False)  # may hold a password
    databases: tuple[str, ...] = ()  # names, `!name` excludes; () is every database
    database_password: str | None = field(default=None, repr=False)
    verify: Schedule | None = None  # when drills (`verify TASK`) are due; needs TARGET
    verify_url: DatabaseUrl | None = field(default=None, repr=False)  # a drill's server (may hold a password)
    verify_sql: tuple[SqlCheck, ...] = ()  # statements a drill runs on its scratch databases
    verify_max_time: float | None = None  # seconds: a drill whose data took longer to come back fails

    @property
    def server_password(self) -> str | None:
        """The password of DATABASE_URL's server, the one rule: DATABASE_PASSWORD, else the URL's; None:
        the client's own variables and files. (Another server's: `databases.password_for`.)"""
        return self.database_password or (self.database_url.password if self.database_url else None)

    @property
    def restore_order_key(self) -> str:
        """The original orders restore tasks by the file name `<RESTORE>_<id>`."""
        return f"{self.restore}_{self.id}"

    def max_age_at(self, now: datetime) -> float:
        """MAX_AGE, or by default twice the longest gap between due times: one missed run is tolerated,
        two are not. Only for scheduled tasks."""
        if self.max_age is not None:
            return self.max_age
        if self.schedule is None:
            raise ValueError(f"task {self.id} has no schedule")
        return default_max_age(self.schedule.longest_gap(now))

    def drill_max_age_at(self, now: datetime) -> float:
        """The oldest the last successful drill may be: twice the longest gap of VERIFY's schedule."""
        if self.verify is None:
            raise ValueError(f"task {self.id} has no VERIFY schedule")
        return default_max_age(self.verify.longest_gap(now))


def default_max_age(longest_gap: float) -> float:
    """Twice the longest gap between due times."""
    return 2 * longest_gap


def builtin_steps(task: Task) -> tuple[str, ...]:
    """The steps the runner builds, the one place that decides them: from DATABASE_URL the dump as
    EXTRACT when the task has no EXTRACT of its own; from TARGET the backup as LOAD when the task has
    no LOAD of its own, and `retention` when KEEP_FULL or KEEP is set."""
    steps: tuple[str, ...] = ()
    if dumps_databases(task):
        steps += ("extract",)
    if task.target is None:
        return steps
    steps += () if "load" in task.steps else ("load",)
    if task.keep_full is not None or task.keep is not None:
        steps += (RETENTION_STEP,)
    return steps


def dumps_databases(task: Task) -> bool:
    """The task's EXTRACT is the built-in dump (compressed already: the built-in backup does not
    compress it again)."""
    return task.database_url is not None and "extract" not in task.steps


def run_steps(task: Task) -> tuple[str, ...]:
    """Every step a run of `task` may go through, its own and the built-in ones, in run order."""
    present = set(task.steps) | set(builtin_steps(task))
    return tuple(step for step in (*CHAIN_STEPS, *HOOK_STEPS) if step in present)
