"""The daemon's plan: each scheduled task with its first due time and max age. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from ..model import PlannedTask, Task


def plan(tasks: Iterable[Task], now: datetime) -> tuple[PlannedTask, ...]:
    """Each scheduled task with its first due time after `now` and its max age (default: 2x longest gap)."""
    planned = []
    for task in tasks:
        if task.schedule is None:
            continue
        first_due = task.schedule.next_after(now).astimezone(UTC)
        planned.append(PlannedTask(task.id, task.schedule.describe(), task.max_age_at(now), first_due))
    return tuple(planned)
