"""The task lock: two runs of a task would empty each other's SRC and DST."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".lock"


class TaskBusy(Exception):
    """Another process is running this task (its work folders are in use)."""


@contextlib.contextmanager
def task_lock(task_dir: Path) -> Iterator[None]:
    """Hold `<work>/<id>/.lock` for a run.

    The daemon and an `exec` of the same task may be different processes, hence a file lock; the
    kernel releases it when the holder dies, so a crash leaves no stale lock.
    """
    task_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(task_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TaskBusy from None
        yield
    finally:
        os.close(fd)
