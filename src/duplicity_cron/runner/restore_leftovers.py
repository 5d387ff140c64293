"""What a restore makes, written down before duplicity starts so that a restore killed on the spot
(kill -9, a power cut) leaves nothing half-made behind for long: the next restore of the task, inside
the task's lock, removes what the note names and says so.

The note is `<work>/<id>/restore-unfinished`, one path a line: the fresh folder under
`<work>/<id>/restores/`, a `--to` folder the restore created, the `.restore-*` staging folder inside a
`--to` that held files. A restore that ends, well or not, removes it (and, when it failed, the folders
it names)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

NOTE = "restore-unfinished"


def note_path(task_folder: Path) -> Path:
    return task_folder / NOTE


def write_note(task_folder: Path, made: Iterable[Path]) -> None:
    """Name what this restore makes (atomically: a half-written note names nothing wrong)."""
    note = note_path(task_folder)
    partial = note.with_name(NOTE + ".partial")
    partial.write_text("".join(f"{path}\n" for path in made), encoding="utf-8")
    os.replace(partial, note)


def remove_note(task_folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        note_path(task_folder).unlink()


def remove_made(made: Iterable[Path]) -> list[Path]:
    """Remove the folders `made` names (those that exist); return them."""
    removed = []
    for path in made:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def clean_leftovers(task_folder: Path) -> list[Path]:
    """Remove what an interrupted restore of the task made, as its note names; return what was removed.
    Called under the task's lock, before a restore writes its own note."""
    try:
        text = note_path(task_folder).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    removed = remove_made(Path(line) for line in text.splitlines() if line.strip())
    remove_note(task_folder)
    return removed
