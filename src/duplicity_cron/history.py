"""Run history: one JSON file per run under `<state>/runs/<task>/`, the newest 100 runs per task kept,
and beside them the newest 100 skipped occurrences (a long run skips many: they must not push the
real runs, and the last success, out of the history).

A file per run, written to a temporary name and renamed into place, means a crash never leaves a
half-written record and two processes recording at once (the daemon and an `exec`) never lose one:
neither rewrites a file the other wrote.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .result import RunResult, Status, Trigger

KEEP_PER_TASK = 100
_sequence = itertools.count()


def runs_dir(state_dir: Path, task: str) -> Path:
    return state_dir / "runs" / task


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{os.getpid()}-{next(_sequence)}-{path.name}")
    try:
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def record(state_dir: Path, result: RunResult, keep: int = KEEP_PER_TASK) -> Path:
    """Store `result` and prune the task's oldest records beyond `keep` (runs and skips apart)."""
    folder = runs_dir(state_dir, result.task)
    # Sortable by start time; pid and a counter make names unique across processes and threads;
    # the status in the name lets pruning tell skips from runs without reading the files.
    started = result.started.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{started}-{os.getpid()}-{next(_sequence)}-{result.status}.json"
    path = folder / name
    write_json_atomically(path, result.to_dict())
    records = _record_files(folder)
    skipped_suffix = f"-{Status.SKIPPED}.json"
    skips = [p for p in records if p.name.endswith(skipped_suffix)]
    runs = [p for p in records if not p.name.endswith(skipped_suffix)]
    for old in runs[:-keep] + skips[:-keep]:
        with contextlib.suppress(FileNotFoundError):  # another process pruned it first
            old.unlink()
    return path


def _record_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except FileNotFoundError:
        return []


def load_runs(state_dir: Path, task: str) -> list[RunResult]:
    """The task's recorded runs, oldest first. Unreadable records are passed over."""
    runs = []
    for path in _record_files(runs_dir(state_dir, task)):
        try:
            runs.append(from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    runs.sort(key=lambda run: run.started)
    return runs


def latest(state_dir: Path, task: str) -> tuple[RunResult | None, RunResult | None]:
    """The task's newest finished (not skipped) run and newest success, reading as few records as can be."""
    last_run = last_success = None
    skipped_suffix = f"-{Status.SKIPPED}.json"
    for path in reversed(_record_files(runs_dir(state_dir, task))):
        if path.name.endswith(skipped_suffix):
            continue
        try:
            run = from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        last_run = last_run or run
        if run.status is Status.SUCCEEDED:
            last_success = run
            break
    return last_run, last_success


def from_dict(data: dict[str, Any]) -> RunResult:
    return RunResult(
        task=data["task"],
        status=Status(data["status"]),
        trigger=Trigger(data["trigger"]),
        started=datetime.fromisoformat(data["started"]),
        ended=datetime.fromisoformat(data["ended"]),
        exit_code=int(data["exit_code"]),
        failed_step=data.get("failed_step"),
        output_tail=tuple(data.get("output_tail", ())),
    )
