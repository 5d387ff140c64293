"""What `status` shows: per task its schedule, last run, last success, next run and recent runs, as
JSON shapes, a table, and one task in full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from ..config.durations import format_duration, format_precise
from ..model import BackupStats, RestoreRecord, RunResult, TargetContents, Task, last_runs, printable
from .contents import contents_json, contents_text, stats_line
from .listing import containers_lines, describe_schedule
from .text import table, zone_name

RECENT_RUNS = 10


def _run_summary(run: RunResult, zone: tzinfo, with_output: bool = False) -> dict[str, Any]:
    summary = {
        "status": str(run.status),
        "trigger": str(run.trigger),
        "started": _time(run.started, zone),
        "ended": _time(run.ended, zone),
        "duration": round(run.duration, 3),
        "exit_code": run.exit_code,
        "failed_step": run.failed_step,
        "recovery_seconds": run.recovery_seconds,  # a drill's: how long the data took to come back
    }
    if with_output:
        summary["backup"] = _stats(run)  # duplicity's statistics
        summary["output_tail"] = list(run.output_tail)
    return summary


def status_entry(
    task: Task,
    runs: Sequence[RunResult],
    now: datetime,
    zone: tzinfo,
    contents: TargetContents | None = None,
    restore: RestoreRecord | None = None,
) -> dict[str, Any]:
    """A task for `status`: schedule, last run (with its output tail), last success, next run, the recent
    runs that ran (skipped occurrences must not push them out), and the skips since the last of them;
    for a task with TARGET, what the target held when last read and the last success's statistics."""
    last = last_runs(reversed(runs))
    drill = last_runs(reversed(runs), drills=True)
    last_success = _time(last.success.ended, zone) if last.success else None
    ran = [run for run in runs if run.status.is_run]
    skipped = [run for run in runs if not run.status.is_run]
    since = [run for run in skipped if not ran or run.started > ran[-1].started]
    return {
        "task": task.id,
        "schedule": task.schedule.describe() if task.schedule else None,
        "timezone": zone_name(task.schedule.timezone) if task.schedule else None,
        "restore": task.restore,
        "next_run": task.schedule.next_after(now).astimezone(zone).isoformat() if task.schedule else None,
        "last_run": _run_summary(last.run, zone, with_output=True) if last.run else None,
        "last_success": last_success,
        "recent_runs": [_run_summary(run, zone) for run in reversed(ran[-RECENT_RUNS:])],
        "skipped_since_last_run": len(since),
        "last_skipped": _time(skipped[-1].started, zone) if skipped else None,
        "verify_schedule": task.verify.describe() if task.verify else None,
        "last_verify": _drill_summary(drill.run, zone) if drill.run else None,
        "last_verified": _time(drill.success.ended, zone) if drill.success else None,
        "last_success_backup": _stats(last.success),
        "target": None if contents is None else contents_json(contents, zone),
        "last_restore": None if restore is None else _restore_summary(restore, zone),
    }


def _restore_summary(restore: RestoreRecord, zone: tzinfo) -> dict[str, Any]:
    """The last `restore TASK`: when, whether the data came back, and in how long (recovery_seconds)."""
    status = "succeeded" if restore.succeeded else "failed"
    return {"status": status, "ended": _time(restore.ended, zone), "recovery_seconds": restore.seconds}


def _drill_summary(run: RunResult, zone: tzinfo) -> dict[str, Any]:
    """The last drill, with its verdict: the last line of its output says what was checked, or why it
    failed."""
    return {**_run_summary(run, zone), "verdict": run.output_tail[-1] if run.output_tail else None}


def _stats(run: RunResult | None) -> dict[str, Any] | None:
    return None if run is None or run.backup is None else run.backup.to_dict()


def _time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def status_table(entries: Sequence[dict[str, Any]]) -> str:
    """One row a task; a LAST VERIFIED column (the last drill's status and time) when a task has drills."""
    drills = any(e["verify_schedule"] or e["last_verify"] for e in entries)
    rows: list[tuple[str, ...]] = [("TASK", "SCHEDULE", "LAST RUN", "LAST SUCCESS", "NEXT RUN")]
    rows[0] += ("LAST VERIFIED",) if drills else ()
    for e in entries:
        row: tuple[str, ...] = (
            e["task"], describe_schedule(e), _status_time(e["last_run"]), e["last_success"] or "never",
            e["next_run"] or "-",
        )  # fmt: skip
        rows.append(row + ((_status_time(e["last_verify"]) + _recovery(e["last_verify"]),) if drills else ()))
    return table(rows) + containers_lines(entries)


def _status_time(run: dict[str, Any] | None) -> str:
    return f"{run['status']} {run['ended']}" if run else "never"


def _recovery(drill: dict[str, Any] | None) -> str:
    """A drill's recovery time, when its data came back."""
    if drill is None or drill.get("recovery_seconds") is None:
        return ""
    return f" (data back in {format_precise(drill['recovery_seconds'])})"


def _recent_line(run: dict[str, Any]) -> str:
    failure = f" at {run['failed_step']}" if run["failed_step"] else ""
    return (
        f"  {run['started']}  {run['status']:<11} {format_duration(run['duration']):>8}  "
        f"exit {run['exit_code']}{failure} ({run['trigger']})"
    )


def status_details(entry: dict[str, Any]) -> str:
    """One task in full: the table row, then its recent runs and the last run's output, every line that
    comes from the history shown with its control characters escaped."""
    lines = [*_backup_lines(entry), "recent runs:"]
    skips = entry["skipped_since_last_run"]
    if skips:  # never listed as runs, so never with an exit code: they did not run
        lines.append(
            f"  {skips} occurrence(s) skipped since the last run, the newest at {entry['last_skipped']} "
            "(a run of the task was still going)"
        )
    lines += [_recent_line(run) for run in entry["recent_runs"] or []]
    if not entry["recent_runs"]:
        lines.append("  none recorded")
    if entry["last_verify"]:
        drill = entry["last_verify"]
        lines += ["", f"last verify: {drill['status']} {drill['ended']}: {drill['verdict'] or '-'}"]
        if drill.get("recovery_seconds") is not None:
            lines.append(f"recovery time (the data back): {format_precise(drill['recovery_seconds'])}")
        lines.append(f"last verified: {entry['last_verified'] or 'never'}")
    if entry.get("last_restore"):
        restore = entry["last_restore"]
        took = restore["recovery_seconds"]
        back = f", the data back in {format_precise(took)}" if took is not None else ""
        lines += ["", f"last restore (restore {entry['task']}): {restore['status']} {restore['ended']}{back}"]
    if entry["last_run"] and entry["last_run"]["output_tail"]:
        lines += [
            "",
            "output of the last run (tail):",
            *(f"  {line}" for line in entry["last_run"]["output_tail"]),
        ]
    return "\n".join([status_table([entry]), "", *(printable(line) for line in lines)])


def _backup_lines(entry: dict[str, Any]) -> list[str]:
    """For a task with TARGET: what it held when last read, and what the last successful backup did."""
    lines = []
    target = entry.get("target")
    if target is not None:
        lines.append(f"target (read {target['read_at']}): {contents_text(target)}")
    if entry.get("last_success_backup"):
        stats = BackupStats.from_dict(entry["last_success_backup"])
        lines.append(f"last successful backup: {stats_line(stats)}")
    return [*lines, ""] if lines else []
