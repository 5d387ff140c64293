"""Reaping orphans when the runner is PID 1 of a container.

As PID 1 the runner inherits every orphan (a daemonized gpg-agent, a step's background job) and must
wait for them, or they stay zombies. It must not wait for the steps it runs itself: their exit status
belongs to the thread that runs them (`children` keeps that list).
"""

from __future__ import annotations

import os
import threading
import time

from . import children


def _reap_orphans_forever() -> None:
    while True:
        children.spawned.clear()
        try:
            # Peek at a child that has exited, without collecting it.
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            # No child at all: none can appear, orphan or not, until we spawn one.
            children.spawned.wait()
            continue
        except InterruptedError:
            continue
        if info is None:
            continue
        if not children.collect_if_orphan(info.si_pid):
            time.sleep(0.05)  # one of our steps: its owner collects it in a moment


def start_reaper_if_pid1() -> bool:
    """Start reaping orphans when running as PID 1; returns whether it did."""
    if os.getpid() != 1:
        return False
    threading.Thread(target=_reap_orphans_forever, name="reaper", daemon=True).start()
    return True
