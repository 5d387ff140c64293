"""Child processes: spawning steps, and reaping orphans when the runner is PID 1 of a container.

As PID 1 the runner inherits every orphan (a daemonized gpg-agent, a step's background job) and must
wait for them, or they stay zombies. It must not wait for the steps it runs itself: their exit status
belongs to the thread that runs them. Spawning holds a lock until the new pid is registered, so the
reaper never mistakes a step that died at once for an orphan.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from typing import Any

_lock = threading.Lock()
_own_children: set[int] = set()
_spawned = threading.Event()


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen that registers the child as ours until `release` is called."""
    with _lock:
        proc = subprocess.Popen(args, **kwargs)
        _own_children.add(proc.pid)
    _spawned.set()
    return proc


def release(pid: int) -> None:
    """The child has been waited for by its owner."""
    with _lock:
        _own_children.discard(pid)


def _reap_orphans_forever() -> None:
    while True:
        _spawned.clear()
        try:
            # Peek at a child that has exited, without collecting it.
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            # No child at all: none can appear, orphan or not, until we spawn one.
            _spawned.wait()
            continue
        except InterruptedError:
            continue
        if info is None:
            continue
        with _lock:
            if info.si_pid not in _own_children:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(info.si_pid, 0)
                continue
        time.sleep(0.05)  # one of our steps: its owner collects it in a moment


def start_reaper_if_pid1() -> bool:
    """Start reaping orphans when running as PID 1; returns whether it did."""
    if os.getpid() != 1:
        return False
    threading.Thread(target=_reap_orphans_forever, name="reaper", daemon=True).start()
    return True
