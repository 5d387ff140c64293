"""The outcome of one run of a task: a plain value that history, notifications and metrics consume."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"  # stopped by a shutdown of the runner
    SKIPPED = "skipped"  # due while its previous run was still going


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    EXEC = "exec"
    RESTORE = "restore"


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
        return data
