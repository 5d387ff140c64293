"""The daemon's heartbeat: `<state>/heartbeat.json`, rewritten at start and at least every 30 s.

It carries the daemon's plan (each scheduled task with its schedule, max age and first due time), so
that `healthcheck` judges what the daemon runs, not what its own environment happens to say.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .history import write_json_atomically

FILE_NAME = "heartbeat.json"
INTERVAL = 20.0  # seconds between writes; healthcheck calls a heartbeat older than 90 s stale


@dataclass(frozen=True)
class PlannedTask:
    task: str
    schedule: str
    max_age: float  # seconds
    first_due: datetime  # the first due time after the daemon started


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    hostname: str
    started: datetime
    updated: datetime
    tasks: tuple[PlannedTask, ...]
    stopped: datetime | None = None

    def beat(self, now: datetime) -> Heartbeat:
        return replace(self, updated=now)

    def stop(self, now: datetime) -> Heartbeat:
        return replace(self, updated=now, stopped=now)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started", "updated", "stopped"):
            data[key] = data[key].isoformat() if data[key] else None
        for task in data["tasks"]:
            task["first_due"] = task["first_due"].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heartbeat:
        return cls(
            pid=int(data["pid"]),
            hostname=str(data["hostname"]),
            started=datetime.fromisoformat(data["started"]),
            updated=datetime.fromisoformat(data["updated"]),
            stopped=datetime.fromisoformat(data["stopped"]) if data.get("stopped") else None,
            tasks=tuple(
                PlannedTask(
                    task=t["task"],
                    schedule=t["schedule"],
                    max_age=float(t["max_age"]),
                    first_due=datetime.fromisoformat(t["first_due"]),
                )
                for t in data["tasks"]
            ),
        )


def write(state_dir: Path, heartbeat: Heartbeat) -> None:
    write_json_atomically(state_dir / FILE_NAME, heartbeat.to_dict())


def read(state_dir: Path) -> Heartbeat | None:
    """The last heartbeat written, or None when there is none (or it cannot be read)."""
    try:
        return Heartbeat.from_dict(json.loads((state_dir / FILE_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):  # missing, or half-written by an old version
        return None
