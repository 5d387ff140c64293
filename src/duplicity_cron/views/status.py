"""What `status` shows: per task its schedule, last run, last success, next run and recent runs, as
JSON shapes, a table, and one task in full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from ..config.durations import format_duration
from ..model import RunResult, Task, last_runs
from .listing import describe_schedule
from .text import table, zone_name

RECENT_RUNS = 10


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
    last = last_runs(reversed(runs))
    last_success = last.success.ended.astimezone(zone).isoformat(timespec="seconds") if last.success else None
    return {
        "task": task.id,
        "schedule": task.schedule.describe() if task.schedule else None,
        "timezone": zone_name(task.schedule.timezone) if task.schedule else None,
        "restore": task.restore,
        "next_run": task.schedule.next_after(now).astimezone(zone).isoformat() if task.schedule else None,
        "last_run": _run_summary(last.run, zone, with_output=True) if last.run else None,
        "last_success": last_success,
        "recent_runs": [_run_summary(run, zone) for run in reversed(runs[-RECENT_RUNS:])],
    }


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
