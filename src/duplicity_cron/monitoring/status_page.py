"""What `status` reads from the state folder, gathered once for its table, its JSON and the status page
(`views.status_page`, served by `monitoring.http` and written by `status --html FILE`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import RunResult
from ..state import files, history, restores, target
from ..views import status_page
from ..views.status import status_entry


@dataclass(frozen=True)
class StatusData:
    """Each task's `status` entry and runs (oldest first), and what could not be read (warnings)."""

    entries: list[dict[str, Any]]
    runs: dict[str, list[RunResult]]
    warnings: list[str]


def gather(config: Config, names: Sequence[str], now: datetime) -> StatusData:
    """The tasks `names` as `status` shows them: their history, what their TARGET held when last read
    (never the backend itself) and their last `restore TASK`; a damaged state is a warning."""
    state_dir = Path(config.state_dir)
    runs, warnings = _histories(state_dir, names)
    contents = {}
    last_restores = {}
    for name in names:
        if config.tasks[name].target is not None:
            contents[name], problem = target.read(state_dir, name)
            last_restores[name], restore_problem = restores.read(state_dir, name)
            warnings += [found for found in (problem, restore_problem) if found]
    entries = [
        status_entry(
            config.tasks[name],
            runs[name],
            now,
            config.timezone,
            contents.get(name),
            last_restores.get(name),
        )
        for name in names
    ]
    return StatusData(entries, runs, warnings)


def _histories(state_dir: Path, names: Sequence[str]) -> tuple[dict[str, list[RunResult]], list[str]]:
    """Each task's runs, and the warnings about a damaged state (told once for the whole folder)."""
    problem = files.folder_problem(history.runs_root(state_dir))
    if problem is not None:
        return {name: [] for name in names}, [f"no run history can be read: {problem}"]
    reads = {name: history.read_history(state_dir, name) for name in names}
    warnings = [problem for read in reads.values() for problem in read.problems]
    return {name: read.runs for name, read in reads.items()}, warnings


def render(
    config: Config,
    mask: Callable[[str], str],
    now: datetime,
    *,
    prefix: str = "",
    version: str = "",
    served: bool = True,
    data: StatusData | None = None,
) -> str:
    """The status page of every task (or of `data`, gathered already); `served`: it links itself and
    /metrics (a written file does not)."""
    data = data or gather(config, sorted(config.tasks), now)
    return status_page.page(
        data.entries,
        data.runs,
        now=now,
        zone=config.timezone,
        mask=mask,
        warnings=data.warnings,
        prefix=prefix,
        version=version,
        served=served,
    )
