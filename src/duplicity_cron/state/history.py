"""Run history: one JSON file per run under `<state>/runs/<task>/`, the newest 100 runs per task kept,
and beside them the newest 100 skipped occurrences (a long run skips many: they must not push the
real runs, and the last success, out of the history) and the newest 100 drills (`verify` runs, named
`...-verify-<status>.json`: frequent drills must not push out the backup runs whose statistics a
drill compares with).

A file per run, written to a temporary name and renamed into place, means a crash never leaves a
half-written record and two processes recording at once (the daemon and an `exec`) never lose one:
neither rewrites a file the other wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from ..model import LastRuns, RunResult, Status, Trigger, last_runs
from . import inflight
from .files import (
    UNREADABLE,
    checked_time,
    describe,
    folder_problem,
    read_json,
    unique_suffix,
    write_json_atomically,
)

KEEP_PER_TASK = 100
_SHOWN = 3  # unreadable records named in a warning
_SKIPPED_SUFFIX = f"-{Status.SKIPPED}.json"
_DRILL_MARK = f"-{Trigger.VERIFY}-"


def runs_root(state_dir: Path) -> Path:
    return state_dir / "runs"


def runs_dir(state_dir: Path, task: str) -> Path:
    return runs_root(state_dir) / task


def record(state_dir: Path, result: RunResult, keep: int = KEEP_PER_TASK) -> Path:
    """Store `result` and prune the task's oldest records beyond `keep` (runs and skips apart)."""
    folder = runs_dir(state_dir, result.task)
    # Sortable by start time; pid and a counter make names unique across processes and threads;
    # the status in the name lets pruning tell skips from runs without reading the files.
    started = result.started.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    kind = _DRILL_MARK if result.trigger.is_drill else "-"
    path = folder / f"{started}-{unique_suffix()}{kind}{result.status}.json"
    write_json_atomically(path, result.to_dict())
    # The run is recorded: a pruning that fails (another process pruned first, a folder that just went
    # read-only) is no reason to call it lost; the next record prunes again.
    with contextlib.suppress(OSError):
        records = _record_files(folder)
        skips = [p for p in records if p.name.endswith(_SKIPPED_SUFFIX)]
        drills = [p for p in records if _DRILL_MARK in p.name and p not in skips]
        runs = [p for p in records if p not in skips and p not in drills]
        for old in runs[:-keep] + skips[:-keep] + drills[:-keep]:
            with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                old.unlink()
    return path


def _record_files(folder: Path) -> list[Path]:
    """The record files of a task, oldest first; OSError when the folder cannot be listed (a file in
    its place, no permission), [] when it does not exist yet."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except FileNotFoundError:
        return []


def _parse(path: Path) -> RunResult:
    """The record; one of `files.UNREADABLE` when it is not a run record this runner could have written."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    run = RunResult.from_dict(data)
    checked_time(run.started, "started")
    checked_time(run.ended, "ended")
    tail_ok = isinstance(data.get("output_tail", []), list) and all(
        isinstance(x, str) for x in run.output_tail
    )
    if not isinstance(run.task, str) or not isinstance(run.failed_step, str | None) or not tail_ok:
        raise TypeError("task, failed_step or output_tail is not text")
    return run


def _read(path: Path) -> RunResult | None:
    """The record, or None when it cannot be read (passed over)."""
    try:
        return _parse(path)
    except UNREADABLE:
        return None


@dataclass(frozen=True)
class History:
    """A task's readable runs, oldest first, and what could not be read (for a warning)."""

    runs: list[RunResult]
    problems: list[str]


def read_history(state_dir: Path, task: str) -> History:
    """The task's recorded runs, and a problem for a history folder that cannot be listed or for the
    records that cannot be read (passed over: the others still count)."""
    folder = runs_dir(state_dir, task)
    try:
        paths = _record_files(folder)
    except OSError as exc:
        where = folder_problem(folder) or f"{folder}: {describe(exc)}"
        return History([], [f"task {task}: its run history cannot be read: {where}"])
    runs, unreadable = [], []
    for path in paths:
        try:
            runs.append(_parse(path))
        except UNREADABLE as exc:
            unreadable.append(f"{path.name} ({describe(exc)})")
    lost = inflight.lost_run(state_dir, task)
    if lost is not None and all(run.started != lost.started for run in runs):
        runs.append(lost)  # not recorded yet: seen at once (see `state.inflight`)
    runs.sort(key=lambda run: run.started)
    problems = []
    if unreadable:
        shown = "; ".join(unreadable[:_SHOWN]) + ("; ..." if len(unreadable) > _SHOWN else "")
        problems.append(
            f"task {task}: {len(unreadable)} unreadable run record(s) in {folder} passed over "
            f"(move or delete them): {shown}"
        )
    return History(runs, problems)


def load_runs(state_dir: Path, task: str) -> list[RunResult]:
    """The task's recorded runs, oldest first. Unreadable records, and a history that cannot be listed,
    are passed over."""
    return read_history(state_dir, task).runs


def latest(state_dir: Path, task: str, *, drills: bool = False) -> LastRuns:
    """The task's newest backup run, verdict and success (with `drills`: its newest drills), reading as
    few records as can be (damage passed over: the daemon's metrics call this at every heartbeat)."""

    def newest_first() -> Iterator[RunResult]:
        lost = inflight.lost_run(state_dir, task)  # newer than every record: not recorded yet
        if lost is not None and lost.trigger.is_drill is drills:
            yield lost
        try:
            paths = _record_files(runs_dir(state_dir, task))
        except OSError:
            return
        for path in reversed(paths):
            if path.name.endswith(_SKIPPED_SUFFIX) or (_DRILL_MARK in path.name) is not drills:
                continue
            if (run := _read(path)) is not None and (lost is None or run.started != lost.started):
                yield run

    return last_runs(newest_first(), drills=drills)
