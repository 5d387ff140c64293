"""Run history: one JSON file per run under `<state>/runs/<task>/`, the newest 100 runs per task kept,
and beside them the newest 100 skipped occurrences (a long run skips many: they must not push the
real runs, and the last success, out of the history).

A file per run, written to a temporary name and renamed into place, means a crash never leaves a
half-written record and two processes recording at once (the daemon and an `exec`) never lose one:
neither rewrites a file the other wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

from ..model import LastRuns, RunResult, Status, last_runs
from .files import read_json, unique_suffix, write_json_atomically

KEEP_PER_TASK = 100
_SKIPPED_SUFFIX = f"-{Status.SKIPPED}.json"


def runs_dir(state_dir: Path, task: str) -> Path:
    return state_dir / "runs" / task


def record(state_dir: Path, result: RunResult, keep: int = KEEP_PER_TASK) -> Path:
    """Store `result` and prune the task's oldest records beyond `keep` (runs and skips apart)."""
    folder = runs_dir(state_dir, result.task)
    # Sortable by start time; pid and a counter make names unique across processes and threads;
    # the status in the name lets pruning tell skips from runs without reading the files.
    started = result.started.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = folder / f"{started}-{unique_suffix()}-{result.status}.json"
    write_json_atomically(path, result.to_dict())
    # The run is recorded: a pruning that fails (another process pruned first, a folder that just went
    # read-only) is no reason to call it lost; the next record prunes again.
    with contextlib.suppress(OSError):
        records = _record_files(folder)
        skips = [p for p in records if p.name.endswith(_SKIPPED_SUFFIX)]
        runs = [p for p in records if not p.name.endswith(_SKIPPED_SUFFIX)]
        for old in runs[:-keep] + skips[:-keep]:
            with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                old.unlink()
    return path


def _record_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except FileNotFoundError:
        return []


def _read(path: Path) -> RunResult | None:
    """The record, or None when it cannot be read (passed over)."""
    try:
        return RunResult.from_dict(read_json(path))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_runs(state_dir: Path, task: str) -> list[RunResult]:
    """The task's recorded runs, oldest first. Unreadable records are passed over."""
    runs = [run for path in _record_files(runs_dir(state_dir, task)) if (run := _read(path)) is not None]
    runs.sort(key=lambda run: run.started)
    return runs


def latest(state_dir: Path, task: str) -> LastRuns:
    """The task's newest run, verdict and success, reading as few records as can be."""

    def newest_first() -> Iterator[RunResult]:
        for path in reversed(_record_files(runs_dir(state_dir, task))):
            if not path.name.endswith(_SKIPPED_SUFFIX) and (run := _read(path)) is not None:
                yield run

    return last_runs(newest_first())
