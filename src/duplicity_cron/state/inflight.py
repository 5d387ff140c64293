"""Runs in progress: `<state>/running/<task>.json`, written when a run takes its task lock and at each
step, removed once its result has been told to the observers.

Such a record found by a process that holds the task's lock belongs to a run whose runner died
(kill -9, OOM, power loss): nobody else can be running the task. It becomes a `lost` run, recorded.
Every reader (`status`, `healthcheck`, the metrics) sees it as lost at once when its runner is known
to be gone (`lost_run`): a process of this host whose pid no process has any more.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import RunResult, Status, Trigger
from .files import read_json, write_json_atomically
from .liveness import process_alive, started_after

LOST_EXIT_CODE = 1  # the real one is unknown: the runner that would have seen it is gone


@dataclass(frozen=True)
class InFlight:
    task: str
    trigger: Trigger
    started: datetime
    updated: datetime  # the last moment the runner was known alive: its last step's start
    pid: int
    hostname: str
    step: str | None = None

    @classmethod
    def begin(cls, task: str, trigger: Trigger, started: datetime) -> InFlight:
        return cls(task, trigger, started, started, os.getpid(), socket.gethostname())

    def at_step(self, step: str, now: datetime) -> InFlight:
        return replace(self, step=step, updated=now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "trigger": str(self.trigger),
            "started": self.started.isoformat(),
            "updated": self.updated.isoformat(),
            "pid": self.pid,
            "hostname": self.hostname,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InFlight:
        return cls(
            task=str(data["task"]),
            trigger=Trigger(data["trigger"]),
            started=datetime.fromisoformat(data["started"]),
            updated=datetime.fromisoformat(data["updated"]),
            pid=int(data["pid"]),
            hostname=str(data["hostname"]),
            step=data.get("step"),
        )

    def lost(self) -> RunResult:
        """The run as it is recorded once found lost."""
        where = f" during step {self.step}" if self.step else ""
        note = (
            f"lost: the runner (pid {self.pid} on {self.hostname}) ended{where} without recording the run; "
            "whatever it backed up is not trusted"
        )
        return RunResult(
            task=self.task,
            status=Status.LOST,
            trigger=self.trigger,
            started=self.started,
            ended=self.updated,
            exit_code=LOST_EXIT_CODE,
            failed_step=self.step,
            output_tail=(note,),
        )


def path(state_dir: Path, task: str) -> Path:
    return state_dir / "running" / f"{task}.json"


def write(state_dir: Path, record: InFlight) -> None:
    # Not fsync'd: it matters after the runner dies, not after the machine does (then every process
    # of the run is gone too, and a record lost with the page cache costs only the `lost` entry).
    write_json_atomically(path(state_dir, record.task), record.to_dict(), durable=False)


def read(state_dir: Path, task: str) -> InFlight | None:
    """The task's in-progress record; None when there is none or it cannot be read (it is written
    atomically, so a damaged one was damaged by something else, and carries nothing to record)."""
    try:
        return InFlight.from_dict(read_json(path(state_dir, task)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(state_dir: Path, task: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path(state_dir, task).unlink()


def runner_gone(record: InFlight) -> bool:
    """The record's runner is known to be gone: it ran on this host and no process has its pid, or the
    process that has it started after the run did (the pid was reused). Another host's: not known."""
    alive = process_alive(record.pid, record.hostname)
    if alive is None:
        return False
    return not alive or started_after(record.pid, record.started)


def lost_run(state_dir: Path, task: str) -> RunResult | None:
    """The task's run in progress as the lost run it is when its runner is known to be gone (the next
    run of the task records it); None when there is none, or it may still be going."""
    record = read(state_dir, task)
    return record.lost() if record is not None and runner_gone(record) else None
