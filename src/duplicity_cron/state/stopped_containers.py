"""Containers a run stopped for its backup step: `<state>/stopped-containers/<task>.json`, written
before the first is stopped and removed once all are started again. One found by the next process that
holds the task's lock was left by a runner that died (kill -9, its container killed): that process
starts them again first.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .files import describe, parse_iso_time, read_json, write_json_atomically


@dataclass(frozen=True)
class StoppedContainers:
    task: str
    stopped: datetime
    pid: int
    containers: tuple[tuple[str, str], ...]  # (id, name), in the order they are stopped

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "stopped": self.stopped.isoformat(),
            "pid": self.pid,
            "containers": [{"id": cid, "name": name} for cid, name in self.containers],
        }

    @classmethod
    def from_dict(cls, data: Any) -> StoppedContainers:
        return cls(
            task=str(data["task"]),
            stopped=parse_iso_time(data["stopped"], "stopped"),
            pid=int(data["pid"]),
            containers=tuple((str(c["id"]), str(c["name"])) for c in data["containers"]),
        )


def new(task: str, stopped: datetime, containers: tuple[tuple[str, str], ...]) -> StoppedContainers:
    return StoppedContainers(task, stopped, os.getpid(), containers)


def path(state_dir: Path, task: str) -> Path:
    return state_dir / "stopped-containers" / f"{task}.json"


def write(state_dir: Path, record: StoppedContainers) -> None:
    """Durable: the containers stay stopped until a runner reads it back."""
    write_json_atomically(path(state_dir, record.task), record.to_dict())


def read(state_dir: Path, task: str) -> StoppedContainers | None:
    """The task's record; None when there is none. A damaged one is a ValueError."""
    try:
        return StoppedContainers.from_dict(read_json(path(state_dir, task)))
    except (FileNotFoundError, NotADirectoryError):  # no record can be there (a state folder in error
        return None  # is said by the run's own record)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path(state_dir, task)} cannot be read: {describe(exc)}") from None


def clear(state_dir: Path, task: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path(state_dir, task).unlink()
