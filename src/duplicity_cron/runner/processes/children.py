"""The child processes the runner starts itself, registered until their owner has waited for them, so
that the reaper (PID 1) never collects a step's exit status.

Spawning does not hold the registry's lock while it forks: 200 steps starting in one second would
queue behind one another. Instead it counts the spawns in progress, and the reaper leaves a child it
does not know alone while any spawn is in progress (it may be a step that died before it was
registered).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from typing import Any

_lock = threading.Lock()
_own_children: set[int] = set()
_spawning = 0
spawned = threading.Event()  # set at every spawn: wakes a reaper that has no child to wait for


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen that registers the child as ours until `release` is called."""
    global _spawning
    with _lock:
        _spawning += 1
    try:
        proc = subprocess.Popen(args, **kwargs)
    except BaseException:
        with _lock:
            _spawning -= 1
        raise
    with _lock:
        _own_children.add(proc.pid)
        _spawning -= 1
    spawned.set()
    return proc


def release(pid: int) -> None:
    """The child has been waited for by its owner."""
    with _lock:
        _own_children.discard(pid)


def collect_if_orphan(pid: int) -> bool:
    """Wait for `pid` unless it is, or may be, one of ours; returns whether it was collected."""
    with _lock:
        if pid in _own_children or _spawning:
            return False
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        return True
