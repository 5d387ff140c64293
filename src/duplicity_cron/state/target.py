"""What each task's TARGET held when last read: `<state>/targets/<task>.json`, rewritten after each run
of the task (`runner.target_contents`), read by `status` and the metrics (never the backend itself).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import BackupChain, TargetContents
from .files import UNREADABLE, describe, parse_iso_time, read_json, write_json_atomically


def path(state_dir: Path, task: str) -> Path:
    return state_dir / "targets" / f"{task}.json"


def to_dict(contents: TargetContents) -> dict[str, Any]:
    return {
        "read_at": contents.read_at.isoformat(),
        "chains": [
            {
                "full": chain.full.isoformat(),
                "incrementals": [moment.isoformat() for moment in chain.incrementals],
                "volumes": chain.volumes,
                "primary": chain.primary,
            }
            for chain in contents.chains
        ],
        "orphaned_sets": contents.orphaned_sets,
        "incomplete_sets": contents.incomplete_sets,
        "set_bytes": {moment.isoformat(): size for moment, size in sorted(contents.set_bytes.items())},
    }


def _chain(data: Any) -> BackupChain:
    incrementals = data["incrementals"]
    if not isinstance(incrementals, list) or not isinstance(data["primary"], bool):
        raise TypeError("incrementals or primary")
    return BackupChain(
        parse_iso_time(data["full"], "full"),
        tuple(parse_iso_time(moment, "incremental") for moment in incrementals),
        int(data["volumes"]),
        data["primary"],
    )


def from_dict(data: Any) -> TargetContents:
    """The inverse of `to_dict`; one of `files.UNREADABLE` for anything else."""
    if not isinstance(data, dict) or not isinstance(data["chains"], list):
        raise TypeError("not a JSON object with chains")
    return TargetContents(
        parse_iso_time(data["read_at"], "read_at"),
        tuple(_chain(chain) for chain in data["chains"]),
        int(data["orphaned_sets"]),
        int(data["incomplete_sets"]),
        _set_bytes(data.get("set_bytes", {})),  # none in the files of older versions
    )


def _set_bytes(data: Any) -> dict[datetime, int]:
    if not isinstance(data, dict):
        raise TypeError("set_bytes")
    return {parse_iso_time(moment, "set_bytes"): int(size) for moment, size in data.items()}


def write(state_dir: Path, task: str, contents: TargetContents) -> None:
    write_json_atomically(path(state_dir, task), to_dict(contents))


def read(state_dir: Path, task: str) -> tuple[TargetContents | None, str | None]:
    """The contents last read, or None; and a problem when a file is there but cannot be used."""
    where = path(state_dir, task)
    try:
        return from_dict(read_json(where)), None
    except FileNotFoundError:
        return None, None
    except UNREADABLE as exc:
        return None, f"task {task}: what its target holds cannot be read from {where}: {describe(exc)}"
