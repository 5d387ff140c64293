"""Each task's last `restore TASK`: `<state>/restores/<task>.json`, written when a restore ends (the
runner's `restore_backup`), read by `status` and the metrics: the recovery time of a real restore."""

from __future__ import annotations

from pathlib import Path

from ..model import RestoreRecord
from .files import UNREADABLE, describe, read_json, write_json_atomically


def path(state_dir: Path, task: str) -> Path:
    return state_dir / "restores" / f"{task}.json"


def write(state_dir: Path, task: str, record: RestoreRecord) -> None:
    write_json_atomically(path(state_dir, task), record.to_dict())


def read(state_dir: Path, task: str) -> tuple[RestoreRecord | None, str | None]:
    """The last restore, or None; and a problem when a file is there but cannot be used."""
    where = path(state_dir, task)
    try:
        return RestoreRecord.from_dict(read_json(where)), None
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except UNREADABLE as exc:
        return None, f"task {task}: its last restore cannot be read from {where}: {describe(exc)}"
