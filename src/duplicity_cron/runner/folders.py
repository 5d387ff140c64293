"""Folders a run, a drill or a restore empties or looks into."""

from __future__ import annotations

import shutil
from pathlib import Path


def empty_dir(path: Path) -> None:
    """Make `path` an empty folder. Its content goes, the folder itself stays (it may be a mount point)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def is_empty_folder(path: Path) -> bool:
    return path.is_dir() and next(path.iterdir(), None) is None
