"""The values every layer shares: a task, a run's result, its status and trigger, the daemon's plan.

The lowest layer: it imports nothing of the project, so any package may import it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any, Protocol

# A step stopped by SIGTERM exits 143: the code of a run cut short by a timeout or a shutdown.
EXIT_TERMINATED = 128 + 15


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"  # stopped by a shutdown of the runner
    SKIPPED = "skipped"  # due while its previous run was still going
    LOST = "lost"  # its runner died mid-run (kill -9, OOM, power loss): found and recorded on the next start

    @property
    def is_failure(self) -> bool:
        """The run did not back up: what notifications and health call a failure. A lost run counts:
        nothing says its backup was made.

        An interrupted run was stopped from outside and a skipped one never ran; neither is a verdict.
        """
        return self in (Status.FAILED, Status.TIMED_OUT, Status.LOST)

    @property
    def is_verdict(self) -> bool:
        """The run says whether the backup works (success or failure)."""
        return self is Status.SUCCEEDED or self.is_failure

    @property
    def is_run(self) -> bool:
        """Something ran: every status but `skipped`."""
        return self is not Status.SKIPPED


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    EXEC = "exec"
    RESTORE = "restore"
    VERIFY = "verify"  # a drill: `verify TASK`, or TASK_<id>_VERIFY's schedule

    @property
    def is_drill(self) -> bool:
        """A verify run proves a backup can be restored; it is no backup (freshness ignores it)."""
        return self is Trigger.VERIFY


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
    # Public-key encryption (see `config.encryption`): the fingerprint, and the armored keys, kept out
    # of the repr so that no traceback or debug print shows key material.
    encrypt_key: str | None = None
    public_key: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    # The built-in dump (see `sources`): a database server's URL, which databases, and the password.
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    databases: tuple[str, ...] = ()  # names, `!name` excludes; () is every database
    database_password: str | None = field(default=None, repr=False)
    verify: Schedule | None = None  # when drills (`verify TASK`) are due; needs TARGET
    verify_url: str | None = field(default=None, repr=False)  # a drill's server (may hold a password)

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


@dataclass(frozen=True)
class BackupStats:
    """What duplicity's "Backup Statistics" block says of one backup (`targets.statistics` reads it).

    `source_bytes` counts what duplicity read: regular files, links, and each folder's own size.
    `file_bytes` is not duplicity's: the bytes of everything but folders, measured by the runner's walk
    of SOURCE right after the backup, kept only when that walk counted exactly the entries and bytes
    duplicity did (None otherwise, and in records of older versions). A folder's own size depends on
    the file system, so a restore elsewhere can be compared on these bytes only.
    """

    source_files: int  # files, folders and links in the backup, the top folder included
    source_bytes: int
    new_files: int
    new_bytes: int
    changed_files: int
    changed_bytes: int
    deleted_files: int
    raw_delta_bytes: int  # what the backup carried before compression and encryption
    destination_change_bytes: int  # what the target grew by
    errors: int  # files duplicity could not read
    elapsed: float  # seconds
    file_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BackupStats:
        """The inverse of `to_dict`; KeyError, ValueError or TypeError for a record it cannot read."""
        values: dict[str, Any] = {}
        for name, kind in _STATS_FIELDS.items():
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} is not a number")
            values[name] = kind(value)
        file_bytes = data.get("file_bytes")
        if file_bytes is not None and (isinstance(file_bytes, bool) or not isinstance(file_bytes, int)):
            raise TypeError("file_bytes is not a whole number")
        return cls(**values, file_bytes=file_bytes)


_STATS_FIELDS = {
    name: (float if name == "elapsed" else int)
    for name in BackupStats.__dataclass_fields__
    if name != "file_bytes"  # the runner's, optional
}


@dataclass(frozen=True)
class BackupChain:
    """A full backup and the incrementals on it, as the target lists them (`targets.collection_status`)."""

    full: datetime  # the full backup's time (UTC)
    incrementals: tuple[datetime, ...]  # end times, oldest first
    volumes: int  # volumes of all its sets
    primary: bool  # the chain duplicity's next incremental would extend (it has matching signatures)

    @property
    def end(self) -> datetime:
        """The newest backup of the chain: the time a restore without --time gets."""
        return self.incrementals[-1] if self.incrementals else self.full


@dataclass(frozen=True)
class TargetContents:
    """What a task's TARGET holds, as read by `collection-status` after a run (`runner.target_contents`)."""

    read_at: datetime
    chains: tuple[BackupChain, ...]  # oldest first
    orphaned_sets: int = 0  # sets whose chain is gone
    incomplete_sets: int = 0  # sets a backup cut short left (`cleanup` removes them)

    @property
    def last_chain(self) -> BackupChain | None:
        return self.chains[-1] if self.chains else None

    @property
    def oldest_restorable(self) -> datetime | None:
        """The earliest time a restore can go back to: the oldest chain's full backup."""
        return self.chains[0].full if self.chains else None


@dataclass(frozen=True)
class RunResult:
    """What happened in one run. `exit_code` is the failing step's (128+N when killed by signal N)."""

    task: str
    status: Status
    trigger: Trigger
    started: datetime
    ended: datetime
    exit_code: int = 0
    failed_step: str | None = None
    output_tail: tuple[str, ...] = field(default=())
    backup: BackupStats | None = None  # the built-in backup's statistics, when it ran

    @property
    def succeeded(self) -> bool:
        return self.status is Status.SUCCEEDED

    @property
    def duration(self) -> float:
        return (self.ended - self.started).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["trigger"] = str(self.trigger)
        data["started"] = self.started.isoformat()
        data["ended"] = self.ended.isoformat()
        data["duration"] = round(self.duration, 3)
        data["output_tail"] = list(self.output_tail)
        data["backup"] = None if self.backup is None else self.backup.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunResult:
        """The inverse of `to_dict`; KeyError, ValueError or TypeError for a record it cannot read."""
        return cls(
            task=data["task"],
            status=Status(data["status"]),
            trigger=Trigger(data["trigger"]),
            started=datetime.fromisoformat(data["started"]),
            ended=datetime.fromisoformat(data["ended"]),
            exit_code=int(data["exit_code"]),
            failed_step=data.get("failed_step"),
            output_tail=tuple(data.get("output_tail", ())),
            backup=None if data.get("backup") is None else BackupStats.from_dict(data["backup"]),
        )


@dataclass(frozen=True)
class LastRuns:
    """The newest runs that matter: any run (not skipped), the newest verdict, the newest success."""

    run: RunResult | None = None
    verdict: RunResult | None = None
    success: RunResult | None = None


def last_runs(newest_first: Iterable[RunResult], *, drills: bool = False) -> LastRuns:
    """Read runs newest first and stop at the first success: `status`, `healthcheck` and the metrics all
    take their "last run" and "last success" from here (a lazy iterable reads as few records as can be).

    Backup runs only, or with `drills` the verify runs only: a successful drill is no fresh backup, and a
    backup is no drill.
    """
    run = verdict = None
    for candidate in newest_first:
        if not candidate.status.is_run or candidate.trigger.is_drill is not drills:
            continue
        run = run or candidate
        if candidate.status.is_verdict:
            verdict = verdict or candidate
        if candidate.succeeded:
            return LastRuns(run, verdict, candidate)
    return LastRuns(run, verdict, None)


@dataclass(frozen=True)
class PlannedTask:
    """A scheduled task as the daemon plans it: written in the heartbeat, judged by `healthcheck`."""

    task: str
    schedule: str
    max_age: float  # seconds
    first_due: datetime  # the first due time after the daemon started
    drill: bool = False  # the task's VERIFY schedule (its drills), not its backups

    @property
    def key(self) -> str:
        """Unique in a plan: the task id, `<id>/verify` for its drills (no task id holds a `/`)."""
        return f"{self.task}/verify" if self.drill else self.task


class RunObserver(Protocol):
    """Told when a run starts (inside its lock) and when it ends: history, metrics, notifications."""

    def run_started(self, task: Task) -> None: ...

    def run_finished(self, task: Task, result: RunResult) -> None: ...


# Control characters (C0 but tab, DEL, C1), line and paragraph separators and bidirectional overrides:
# printed raw, a line could move the cursor, clear the screen, rewrite itself or pose as another line.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with those characters shown as escapes (`\\x1b`, `\\u202e`), for a terminal; tab is kept."""
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
