"""The task lock (two runs of a task would empty each other's SRC and DST) and the daemon lock (two
schedulers on one state folder would run every task twice).

Both are `flock` locks, released by the kernel when their last holder dies, so a crash leaves no stale
lock. The task lock's descriptor is inherited by every process of the run's steps: after a `kill -9` of
the runner, the lock stays held for as long as any of those processes lives, and a restarted daemon or an
`exec` does not start the task under them. (Daemons that close their descriptors, as gpg-agent does,
do not hold it.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..state.files import make_folder

LOCK_FILE = ".lock"
DAEMON_LOCK_FILE = "daemon.lock"


class TaskBusy(Exception):
    """Another process is running this task (its work folders are in use)."""


class DaemonRunning(Exception):
    """Another scheduler uses this state folder; `pid` is what it wrote in the lock file, if anything."""

    def __init__(self, pid: str) -> None:
        super().__init__(pid)
        self.pid = pid


@contextlib.contextmanager
def task_lock(task_dir: Path) -> Iterator[int]:
    """Hold `<work>/<id>/.lock` for a run; yields the descriptor, to be passed to the run's steps."""
    task_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(task_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TaskBusy from None
        yield fd
    finally:
        os.close(fd)


def hold_daemon_lock(state_dir: Path) -> int:
    """Take `<state>/daemon.lock` for the life of this process (never inherited by steps) and write our
    pid in it; DaemonRunning when another process holds it."""
    make_folder(state_dir)
    fd = os.open(state_dir / DAEMON_LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        raise DaemonRunning(holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd
