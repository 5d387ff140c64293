"""A run of a task: its status, trigger and result, the backup statistics it recorded, the daemon's
plan of it, and who is told of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from .task import Task

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
    # The recovery time of a drill: seconds the data took to come back (the restore, and the load of a
    # dump into scratch databases); None when it did not come back, or for any other run.
    recovery_seconds: float | None = None
    # What the target held after the run (its chains' sets, by what their backups wrote: `TargetContents`),
    # when the size of every set is known; None otherwise, and for runs that wrote no target.
    target_bytes: int | None = None

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
        data["recovery_seconds"] = None if self.recovery_seconds is None else round(self.recovery_seconds, 3)
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
            recovery_seconds=_seconds(data.get("recovery_seconds")),
            target_bytes=_bytes(data.get("target_bytes")),  # none in records of older versions
        )


def _bytes(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("target_bytes is not a number of bytes")
    return value


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("recovery_seconds is not a number")
    return float(value)


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


@dataclass(frozen=True)
class RestoreRecord:
    """The last `restore TASK` of a task: when it ended, whether the data came back, and how long that
    took (the recovery time: duplicity's restore, and the load of a dump). No run of the task: a
    restore is no backup, and freshness, history and the runs' gauges ignore it."""

    ended: datetime
    succeeded: bool
    seconds: float | None  # the recovery time; None when the data did not come back

    def to_dict(self) -> dict[str, Any]:
        return {"ended": self.ended.isoformat(), "succeeded": self.succeeded, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RestoreRecord:
        if not isinstance(data["succeeded"], bool):
            raise TypeError("succeeded")
        ended = datetime.fromisoformat(data["ended"])
        if ended.tzinfo is None:
            raise ValueError("ended has no time zone")
        return cls(ended, data["succeeded"], _seconds(data.get("seconds")))
