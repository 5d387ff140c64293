"""The lines the daemon logs at start, one or two per task: its schedule, next run, max age and timeout,
and those of its drills. The plan itself is `daemon.plan`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..config.durations import format_duration
from ..model import PlannedTask, Task
from .text import zone_name


def plan_lines(tasks: Mapping[str, Task], planned: Sequence[PlannedTask]) -> list[tuple[str, str]]:
    """(task id, line) for every task, in id order."""
    by_task = {entry.task: entry for entry in planned if not entry.drill}
    drills = {entry.task: entry for entry in planned if entry.drill}
    lines = []
    for task in sorted(tasks.values(), key=lambda t: t.id):
        drill = drills.get(task.id)
        if task.schedule is None:
            kind = "restore task" if task.restore is not None else "not scheduled (exec only)"
            lines.append((task.id, f"plan: {kind}"))
        else:
            lines.append((task.id, _backup_line(task, by_task[task.id])))
        if drill is not None and task.verify is not None:
            next_drill = drill.first_due.astimezone(task.verify.timezone).isoformat()
            lines.append(
                (
                    task.id,
                    f"plan: verify {task.verify.describe()} ({zone_name(task.verify.timezone)}), next "
                    f"verify {next_drill}, max age {format_duration(drill.max_age)}",
                )
            )
    return lines


def _backup_line(task: Task, entry: PlannedTask) -> str:
    if task.schedule is None:
        raise ValueError(f"task {task.id} has no schedule")
    next_run = entry.first_due.astimezone(task.schedule.timezone).isoformat()
    timeout = f", timeout {format_duration(task.timeout)}" if task.timeout else ""
    schedule = f"{task.schedule.describe()} ({zone_name(task.schedule.timezone)})"
    return f"plan: {schedule}, next run {next_run}, max age {format_duration(entry.max_age)}{timeout}"
