"""The daemon's plan: each scheduled task with its first due time and max age, and each task's drills
(VERIFY) as entries of their own. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from ..model import PlannedTask, Schedule, Task


def plan(tasks: Iterable[Task], now: datetime) -> tuple[PlannedTask, ...]:
    """Each scheduled task with its first due time after `now` and its max age (default: 2x longest gap),
    then the drills of the tasks with VERIFY (max age: 2x the longest gap of VERIFY's schedule)."""
    tasks = list(tasks)
    planned = []
    for task in tasks:
        if task.schedule is None:
            continue
        first_due = task.schedule.next_after(now).astimezone(UTC)
        planned.append(PlannedTask(task.id, task.schedule.describe(), task.max_age_at(now), first_due))
    for task in tasks:
        if task.verify is None:
            continue
        first_due = task.verify.next_after(now).astimezone(UTC)
        planned.append(
            PlannedTask(task.id, task.verify.describe(), task.drill_max_age_at(now), first_due, drill=True)
        )
    return tuple(planned)


def schedule_of(task: Task, entry: PlannedTask) -> Schedule:
    """The schedule an entry of the plan follows: the task's, or its VERIFY's for a drill."""
    schedule = task.verify if entry.drill else task.schedule
    if schedule is None:
        raise ValueError(f"task {task.id} has no schedule for {entry.key}")
    return schedule
