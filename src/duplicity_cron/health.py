"""Is the backup daemon healthy? Judged from its heartbeat and the run history, never from a live process
alone: a scheduler that is alive but whose backups stopped succeeding is unhealthy.

Pure: the caller reads the files and says whether the heartbeat's process is alive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from .durations import format_duration
from .heartbeat import Heartbeat
from .result import RunResult, Status

STALE_AFTER = 90.0  # seconds without a heartbeat
# Runs that say whether the backup works; interrupted and skipped runs don't (the age rule catches those).
_VERDICT_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.TIMED_OUT)


def default_max_age(longest_gap: float) -> float:
    """Twice the longest gap between due times: one missed run is tolerated, two are not."""
    return 2 * longest_gap


def judge(
    heartbeat: Heartbeat | None,
    runs: Mapping[str, Sequence[RunResult]],
    now: datetime,
    process_alive: bool | None = None,
) -> list[str]:
    """Reasons the daemon is unhealthy; an empty list means healthy.

    `runs` maps a task to its recorded runs, oldest first. `process_alive` is None when the heartbeat's
    process cannot be checked from here (another host or PID namespace).
    """
    if heartbeat is None:
        return ["no heartbeat: the scheduler is not running (or has never run with this state folder)"]
    reasons = []
    if heartbeat.stopped is not None:
        reasons.append(f"the scheduler stopped at {heartbeat.stopped.isoformat(timespec='seconds')}")
    elif process_alive is False:
        reasons.append(f"the scheduler (pid {heartbeat.pid}) is not running")
    else:
        age = (now - heartbeat.updated).total_seconds()
        if age > STALE_AFTER:
            reasons.append(f"the heartbeat is {format_duration(age)} old (over {STALE_AFTER:g}s)")
    for planned in heartbeat.tasks:
        task_runs = runs.get(planned.task, ())
        verdicts = [run for run in task_runs if run.status in _VERDICT_STATUSES]
        if verdicts and verdicts[-1].status is not Status.SUCCEEDED:
            last = verdicts[-1]
            where = f" at step {last.failed_step}" if last.failed_step else ""
            reasons.append(
                f"task {planned.task}: last run {last.status}{where} (exit code {last.exit_code}) "
                f"at {last.ended.isoformat(timespec='seconds')}"
            )
        successes = [run for run in task_runs if run.status is Status.SUCCEEDED]
        limit = format_duration(planned.max_age)
        if successes:
            age = (now - successes[-1].ended).total_seconds()
            if age > planned.max_age:
                reasons.append(
                    f"task {planned.task}: last success {format_duration(age)} ago, over its max age {limit}"
                )
        elif (now - planned.first_due).total_seconds() > planned.max_age:
            reasons.append(
                f"task {planned.task}: no successful run since it was first due at "
                f"{planned.first_due.isoformat(timespec='seconds')}, over its max age {limit}"
            )
    return reasons
