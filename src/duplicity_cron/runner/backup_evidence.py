"""The evidence a run gathers around its built-in steps (`task_run._Run`): the backup's statistics read
from its output, SOURCE counted after it for the drills' byte comparison, and what the target holds
read after the chain, from duplicity's cache when the run allows it (`runner.target_contents`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..model import RETENTION_STEP, BackupStats, TargetContents, Task, builtin_steps
from ..targets.statistics import StatisticsReader
from ..targets.verification import TreeSize, file_bytes_if_agreeing
from .context import LockedRun, RunContext
from .processes.step import StepOutcome
from .target_contents import CacheBefore, cache_before, read_target_contents
from .tree_size import measure

TARGET_STEPS = ("load", RETENTION_STEP)  # the built-in steps that write into TARGET


class BackupEvidence:
    """What one run keeps about its built-in steps."""

    def __init__(self, task: Task, context: RunContext, *, full_load: bool) -> None:
        self.task = task
        self.context = context
        self.builtin = builtin_steps(task)
        self.builtin_load = "load" in self.builtin
        self.full_load = full_load  # `duplicity full`: it skips the sync with the target
        self.statistics = StatisticsReader()  # the built-in backup's statistics block, as it comes
        self.source_walk: TreeSize | None = None  # SOURCE right after the built-in backup
        self.ran: list[str] = []  # the built-in steps that write TARGET, as they started
        self.after_backup: list[str] = []  # every step that started after the built-in backup
        self.cache: CacheBefore | None = None
        self.backup_succeeded = False
        self.backup_began: datetime | None = None  # when the built-in backup step started

    def cache_set_aside(self) -> None:
        """The task's cache was set aside for the backup to run once more: what it held before no longer
        tells what the target holds (the target is listed instead), and the statistics start anew."""
        self.cache = None
        self.statistics = StatisticsReader()

    def runs_duplicity(self, step: str) -> bool:
        """`step` is a built-in duplicity step (the backup, retention): its failure is duplicity's."""
        return step in TARGET_STEPS and step in self.builtin

    def reads_statistics(self, step: str) -> bool:
        return step == "load" and self.builtin_load

    def before_chain(self) -> None:
        """Look at the cache before the backup can change it (only for a backup that syncs it)."""
        if self.builtin_load and not self.full_load:
            self.cache = cache_before(self.task, self.context)

    def step_starts(self, step: str) -> None:
        if self.ran[:1] == ["load"]:
            self.after_backup.append(step)
        if step in TARGET_STEPS and step in self.builtin:
            self.ran.append(step)
        if self.reads_statistics(step):
            self.backup_began = datetime.now(UTC)

    def step_ended(self, step: str, outcome: StepOutcome, warn: Callable[[str, str], None]) -> None:
        if self.reads_statistics(step) and outcome.exit_code == 0 and not outcome.timed_out:
            self.backup_succeeded = True
            self._walk_source(warn)

    def _walk_source(self, warn: Callable[[str, str], None]) -> None:
        source = Path(self.task.source or self.context.task_folder(self.task.id) / "src")
        try:
            self.source_walk = measure(source)
        except OSError as exc:  # the drill then compares counts only; the backup is not failed for it
            warn("load", f"cannot count SOURCE after the backup ({exc}); drills compare no bytes")

    def backup_stats(self) -> BackupStats | None:
        """The backup's statistics, with the bytes of its files when the walk of SOURCE after it saw what
        duplicity saw (see `targets.verification`)."""
        stats = self.statistics.stats
        if stats is None or self.source_walk is None:
            return stats
        return replace(stats, file_bytes=file_bytes_if_agreeing(stats, self.source_walk))

    def _cache_usable(self) -> CacheBefore | None:
        """The cache may stand for the target: the backup (a sync with the target) succeeded and was the
        last step of the run. After it, retention's `remove-*` skip the sync, and the task's own steps
        (SUCCEED, FAILED, FINALLY) may change the target in ways no cache sees."""
        return self.cache if self.backup_succeeded and not self.after_backup else None

    def read_contents(self, run: LockedRun) -> TargetContents | None:
        """After the chain and its hooks, before the run's summary line; only when a built-in step that
        writes TARGET (the backup, retention) ran. Listing a target nothing wrote would create a missing
        file:// folder: a run that failed at its start, a task whose own LOAD replaces the backup."""
        if not self.ran or run.cancel.interrupted:
            return None
        return read_target_contents(run, cache=self._cache_usable(), written=self._written())

    def _written(self) -> tuple[datetime, int] | None:
        """When the successful built-in backup began and what duplicity says it wrote to the target."""
        stats = self.statistics.stats
        if not self.backup_succeeded or stats is None or self.backup_began is None:
            return None
        return self.backup_began, stats.destination_change_bytes
