"""Duplicity's local cache of a task (`<archive>/<id>`: manifests and signatures) is a copy of what
the target holds: when it is damaged, the runner sets it aside and duplicity rebuilds it from the
target (a restore, once; `targets.duplicity_errors` says when a failure may come from it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..model import Task
from ..targets.duplicity_errors import Failure
from .context import RunContext

ASIDE_SUFFIX = ".damaged"  # <archive>/<id>.damaged: the last damaged cache, kept to look at


def set_cache_aside(task: Task, context: RunContext) -> Path:
    """Move the task's cache folder to `<archive>/<id>.damaged` (replacing an older one); return it."""
    folder = Path(context.archive_path(task)) / task.id
    aside = folder.with_name(task.id + ASIDE_SUFFIX)
    shutil.rmtree(aside, ignore_errors=True)
    if folder.exists():
        folder.rename(aside)
    return aside


def set_aside_to_retry(task: Task, context: RunContext, failure: Failure, doing: str) -> str:
    """Set the task's cache aside for a command that failed with `failure` to run once more (`doing`:
    "backing up", "restoring"), and return the line that says so. OSError when it cannot be moved."""
    aside = set_cache_aside(task, context)
    return (
        f"{failure.line}; {doing} once more with duplicity's cache rebuilt from the target "
        f"(the old one is in {aside})"
    )
