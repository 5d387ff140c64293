"""The child processes the runner starts itself: spawned under a lock and registered until their owner
has waited for them, so that the reaper (PID 1) never collects a step's exit status.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from typing import Any

_lock = threading.Lock()
_own_children: set[int] = set()
spawned = threading.Event()  # set at every spawn: wakes a reaper that has no child to wait for


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen that registers the child as ours until `release` is called."""
    with _lock:
        proc = subprocess.Popen(args, **kwargs)
        _own_children.add(proc.pid)
    spawned.set()
    return proc


def release(pid: int) -> None:
    """The child has been waited for by its owner."""
    with _lock:
        _own_children.discard(pid)


def collect_if_orphan(pid: int) -> bool:
    """Wait for `pid` unless it is one of ours; returns whether it was an orphan (and is collected)."""
    with _lock:
        if pid in _own_children:
            return False
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        return True
