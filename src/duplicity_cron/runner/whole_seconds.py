"""A run of a task starts in a later wall-clock second than its previous run ended.

Duplicity takes a file as unchanged when its mtime has the same whole second as in the last backup's
signatures (`ROPath.__eq__`: sizes are not compared). A run that rewrites its SOURCE (EXTRACT, the
built-in database dump) in the second its previous backup read the file would back up nothing new,
and say it succeeded. Waiting for the next second (at most one, and only when runs of a task with
TARGET follow each other that closely: a schedule with seconds, or `exec` in a loop) makes every file
the run writes newer.
Duplicity's own backup times are whole seconds too: two backups in one second would also share one.
"""

from __future__ import annotations

import math
import select
from datetime import datetime
from pathlib import Path

from ..model import Task
from ..state.history import latest
from .processes.cancel import Cancel

# File times come from the kernel's coarse clock, up to a tick (10 ms at HZ=100) behind the one the
# runner reads: the wait ends that much after the second does.
CLOCK_TICK = 0.02


def seconds_to_wait(previous_end: datetime | None, now: datetime) -> float:
    """How long until a file written now has an mtime past the whole second in which the previous run
    ended (a clock set back is not waited out: the most is one second and a tick)."""
    if previous_end is None:
        return 0.0
    next_second = math.floor(previous_end.timestamp()) + 1 + CLOCK_TICK
    return min(max(next_second - now.timestamp(), 0.0), 1.0 + CLOCK_TICK)


def wait_past_previous_run(task: Task, state_dir: Path, cancel: Cancel, now: datetime) -> None:
    """For a task with TARGET, wait, if needed, until the second in which its previous backup run ended
    is over (an interruption ends the wait). Tasks of steps alone never wait."""
    if task.target is None:
        return
    previous = latest(state_dir, task.id).run
    wait = seconds_to_wait(previous.ended if previous else None, now)
    if wait > 0:
        select.select([cancel.wake_fd], [], [], wait)
