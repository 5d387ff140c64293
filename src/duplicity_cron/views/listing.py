"""What `list` shows: each task's schedule, time zone and next due times, as JSON shapes and a table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..model import Task, printable, run_steps
from .text import table, zone_name


def listing_entry(task: Task, now: datetime, count: int = 3) -> dict[str, Any]:
    """A task for `list`: its schedule, time zone and next `count` due times."""
    next_runs = []
    if task.schedule:
        due_times = task.schedule.iter_after(now)
        next_runs = [next(due_times).isoformat() for _ in range(count)]
    return {
        "task": task.id,
        "schedule": task.schedule.describe() if task.schedule else None,
        "timezone": zone_name(task.schedule.timezone) if task.schedule else None,
        "next_runs": next_runs,
        "restore": task.restore,
        "timeout": task.timeout,
        "steps": list(run_steps(task)),  # the built-in ones (TARGET) too
    }


def describe_schedule(entry: dict[str, Any]) -> str:
    if entry["schedule"]:
        return f"{entry['schedule']} ({entry['timezone']})"
    if entry["restore"] is not None:
        return f"restore ({entry['restore']}_{entry['task']})"
    return "none (exec only)"


def list_table(entries: Sequence[dict[str, Any]]) -> str:
    rows = [("TASK", "SCHEDULE", "NEXT RUNS")]
    rows += [(e["task"], describe_schedule(e), ", ".join(e["next_runs"]) or "-") for e in entries]
    return table(rows) + containers_lines(entries)


def containers_lines(entries: Sequence[dict[str, Any]]) -> str:
    """The labelled containers each task touches, under a table; nothing when labels are not read
    (the entries have no "containers")."""
    known = [e for e in entries if "containers" in e]
    if not known:
        return ""
    lines = ["", "Containers (labels):"]
    lines += [printable(f"  {e['task']}: {'; '.join(e['containers']) or 'none'}") for e in known]
    return "\n".join(lines)
