"""The daemon's heartbeat: `<state>/heartbeat.json`, rewritten at start and every 20 s.

It carries the daemon's plan (each scheduled task with its schedule, max age and first due time), so
that `healthcheck` judges what the daemon runs, not what its own environment happens to say.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import PlannedTask
from .files import read_json, write_json_atomically

FILE_NAME = "heartbeat.json"
INTERVAL = 20.0  # seconds between writes; healthcheck calls a heartbeat older than 90 s stale


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
        return Heartbeat.from_dict(read_json(state_dir / FILE_NAME))
    except (OSError, ValueError, KeyError, TypeError):  # missing, or half-written by an old version
        return None


def writer_alive(heartbeat: Heartbeat) -> bool | None:
    """Whether the process that wrote `heartbeat` still runs; None when it cannot be told from here
    (written on another host, or in another PID namespace that shares the state folder)."""
    if heartbeat.hostname != socket.gethostname():
        return None
    try:
        os.kill(heartbeat.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
