"""Is the backup daemon healthy? Judged from its heartbeat and the run history, never from a live process
alone: a scheduler that is alive but whose backups stopped succeeding is unhealthy.

Pure: the caller reads the files and says whether the heartbeat's process is alive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..config.durations import format_duration
from ..model import PlannedTask, RunResult, last_runs
from ..state.heartbeat import Heartbeat

STALE_AFTER = 90.0  # seconds without a heartbeat
# A time further ahead than this is a clock problem (a wrong clock here, or where it was written), not
# freshness: a heartbeat or a success "from the future" would otherwise look healthy for ever.
CLOCK_SKEW = 60.0


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
    reasons = _heartbeat_reasons(heartbeat, now, process_alive)
    for planned in heartbeat.tasks:
        reasons += _task_reasons(planned, runs.get(planned.task, ()), now)
    return reasons


def _heartbeat_reasons(heartbeat: Heartbeat, now: datetime, process_alive: bool | None) -> list[str]:
    if heartbeat.stopped is not None:
        return [f"the scheduler stopped at {heartbeat.stopped.isoformat(timespec='seconds')}"]
    if process_alive is False:
        return [f"the scheduler (pid {heartbeat.pid}) is not running"]
    age = (now - heartbeat.updated).total_seconds()
    if age < -CLOCK_SKEW:
        return [_from_the_future("the heartbeat was written", heartbeat.updated, age)]
    if age > STALE_AFTER:
        return [f"the heartbeat is {format_duration(age)} old (over {STALE_AFTER:g}s)"]
    return []


def _task_reasons(planned: PlannedTask, runs: Sequence[RunResult], now: datetime) -> list[str]:
    """A planned backup is judged by its backup runs, a planned drill (VERIFY) by its drills alone: a
    good drill never makes a missing backup fresh, and a failed drill is unhealthy until one succeeds."""
    reasons = []
    what = f"task {planned.task}: last " + ("verify" if planned.drill else "run")
    # Interrupted and skipped runs are no verdict: the age rule catches those.
    last = last_runs(reversed(runs), drills=planned.drill)
    if last.verdict is not None and not last.verdict.succeeded:
        where = f" at step {last.verdict.failed_step}" if last.verdict.failed_step else ""
        # a drill's last line says why it failed (a check, expected and found; the recovery time over
        # VERIFY_MAX_TIME)
        why = f": {last.verdict.output_tail[-1]}" if planned.drill and last.verdict.output_tail else ""
        reasons.append(
            f"{what} {last.verdict.status}{where} "
            f"(exit code {last.verdict.exit_code}) at {last.verdict.ended.isoformat(timespec='seconds')}{why}"
        )
    limit = format_duration(planned.max_age)
    success = "successful verify" if planned.drill else "success"
    if last.success is not None:
        age = (now - last.success.ended).total_seconds()
        if age < -CLOCK_SKEW:
            reasons.append(_from_the_future(f"task {planned.task}: last {success}", last.success.ended, age))
        elif age > planned.max_age:
            reasons.append(
                f"task {planned.task}: last {success} {format_duration(age)} ago, over its max age {limit}"
            )
    elif (now - planned.first_due).total_seconds() > planned.max_age:
        kind = "verify" if planned.drill else "run"
        reasons.append(
            f"task {planned.task}: no successful {kind} since it was first due at "
            f"{planned.first_due.isoformat(timespec='seconds')}, over its max age {limit}"
        )
    return reasons


def _from_the_future(what: str, moment: datetime, age: float) -> str:
    return (
        f"{what} at {moment.isoformat(timespec='seconds')}, {format_duration(-age)} in the future: "
        "a clock is wrong (this machine's now, or the writer's then)"
    )
