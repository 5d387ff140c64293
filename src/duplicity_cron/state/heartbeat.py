"""The daemon's heartbeat: `<state>/heartbeat.json`, rewritten at start and every 20 s.

It carries the daemon's plan (each scheduled task with its schedule, max age and first due time, and
each task's drills, `"drill": true`), so
that `healthcheck` judges what the daemon runs, not what its own environment happens to say.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import PlannedTask
from .files import (
    UNREADABLE,
    Damaged,
    describe,
    folder_problem,
    parse_iso_time,
    read_json,
    write_json_atomically,
)
from .liveness import PID_MAX, process_alive

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
    def from_dict(cls, data: Any) -> Heartbeat:
        """The inverse of `to_dict`; ValueError, KeyError or TypeError for what no daemon writes (a pid
        that is no process id, a time without offset, a max age that is not a positive number...)."""
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        stopped = data.get("stopped")
        return cls(
            pid=_pid(data["pid"]),
            hostname=_string(data["hostname"], "hostname"),
            started=parse_iso_time(data["started"], "started"),
            updated=parse_iso_time(data["updated"], "updated"),
            stopped=parse_iso_time(stopped, "stopped") if stopped else None,
            tasks=tuple(
                PlannedTask(
                    task=_string(t["task"], "task"),
                    schedule=_string(t["schedule"], "schedule"),
                    max_age=_max_age(t["max_age"]),
                    first_due=parse_iso_time(t["first_due"], "first_due"),
                    drill=_flag(t.get("drill", False), "drill"),
                )
                for t in _list(data["tasks"])
            ),
        )


def _pid(value: Any) -> int:
    # Never 0 or negative: os.kill would signal a process group, or every process.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= PID_MAX:
        raise ValueError(f"pid {value!r} is not a process id")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} is not true or false")
    return value


def _list(value: Any) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("tasks is not a list")
    return value


def _max_age(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"max_age {value!r} is not a positive number of seconds")
    return float(value)


def write(state_dir: Path, heartbeat: Heartbeat) -> None:
    write_json_atomically(state_dir / FILE_NAME, heartbeat.to_dict())


def read_checked(state_dir: Path) -> Heartbeat | None:
    """The last heartbeat written, or None when there is none. Damaged when there is one that cannot be
    used (a folder, not JSON, an absurd pid...), or when the state folder is not a folder."""
    path = state_dir / FILE_NAME
    try:
        return Heartbeat.from_dict(read_json(path))
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise Damaged(f"the state folder: {folder_problem(state_dir) or state_dir}") from None
    except UNREADABLE as exc:
        raise Damaged(f"the heartbeat {path} cannot be used: {describe(exc)}") from None


def read(state_dir: Path) -> Heartbeat | None:
    """The last heartbeat written, or None when there is none (or it cannot be read)."""
    try:
        return read_checked(state_dir)
    except Damaged:
        return None


def writer_alive(heartbeat: Heartbeat) -> bool | None:
    """Whether the process that wrote `heartbeat` still runs; None when it cannot be told from here
    (written on another host, or in another PID namespace that shares the state folder)."""
    return process_alive(heartbeat.pid, heartbeat.hostname)
