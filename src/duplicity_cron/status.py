"""What `list` and `status` show: plain dictionaries (the JSON shapes) and text tables. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from .durations import format_duration
from .result import RunResult, Status
from .tasks import Task

RECENT_RUNS = 10


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


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
        "steps": list(task.steps),
    }


def describe_schedule(entry: dict[str, Any]) -> str:
    if entry["schedule"]:
        return f"{entry['schedule']} ({entry['timezone']})"
    if entry["restore"] is not None:
        return f"restore ({entry['restore']}_{entry['task']})"
    return "none (exec only)"


def _run_summary(run: RunResult, zone: tzinfo, with_output: bool = False) -> dict[str, Any]:
    summary = {
        "status": str(run.status),
        "trigger": str(run.trigger),
        "started": run.started.astimezone(zone).isoformat(timespec="seconds"),
        "ended": run.ended.astimezone(zone).isoformat(timespec="seconds"),
        "duration": round(run.duration, 3),
        "exit_code": run.exit_code,
        "failed_step": run.failed_step,
    }
    if with_output:
        summary["output_tail"] = list(run.output_tail)
    return summary


def status_entry(task: Task, runs: Sequence[RunResult], now: datetime, zone: tzinfo) -> dict[str, Any]:
    """A task for `status`: schedule, last run (with its output tail), last success, next run, recent runs."""
    finished = [run for run in runs if run.status is not Status.SKIPPED]
    successes = [run for run in runs if run.status is Status.SUCCEEDED]
    last_success = successes[-1].ended.astimezone(zone).isoformat(timespec="seconds") if successes else None
    return {
        "task": task.id,
        "schedule": task.schedule.describe() if task.schedule else None,
        "timezone": zone_name(task.schedule.timezone) if task.schedule else None,
        "restore": task.restore,
        "next_run": task.schedule.next_after(now).astimezone(zone).isoformat() if task.schedule else None,
        "last_run": _run_summary(finished[-1], zone, with_output=True) if finished else None,
        "last_success": last_success,
        "recent_runs": [_run_summary(run, zone) for run in reversed(runs[-RECENT_RUNS:])],
    }


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns; the last one is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def list_table(entries: Sequence[dict[str, Any]]) -> str:
    rows = [("TASK", "SCHEDULE", "NEXT RUNS")]
    rows += [(e["task"], describe_schedule(e), ", ".join(e["next_runs"]) or "-") for e in entries]
    return table(rows)


def status_table(entries: Sequence[dict[str, Any]]) -> str:
    rows = [("TASK", "SCHEDULE", "LAST RUN", "LAST SUCCESS", "NEXT RUN")]
    for e in entries:
        last = e["last_run"]
        last_text = f"{last['status']} {last['ended']}" if last else "never"
        rows.append(
            (e["task"], describe_schedule(e), last_text, e["last_success"] or "never", e["next_run"] or "-")
        )
    return table(rows)


def status_details(entry: dict[str, Any]) -> str:
    """One task in full: the table row, then its recent runs and the last run's output."""
    lines = [status_table([entry]), "", "recent runs:"]
    for run in entry["recent_runs"] or []:
        failure = f" at {run['failed_step']}" if run["failed_step"] else ""
        lines.append(
            f"  {run['started']}  {run['status']:<11} {format_duration(run['duration']):>8}  "
            f"exit {run['exit_code']}{failure} ({run['trigger']})"
        )
    if not entry["recent_runs"]:
        lines.append("  none recorded")
    if entry["last_run"] and entry["last_run"]["output_tail"]:
        lines += [
            "",
            "output of the last run (tail):",
            *(f"  {line}" for line in entry["last_run"]["output_tail"]),
        ]
    return "\n".join(lines)
