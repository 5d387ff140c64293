"""Prometheus metrics of the daemon (`run` with CONF_METRICS_PORT), through prometheus-client; an observer
of every run the daemon starts.

Gauges start from the run history, so a restarted daemon still exports when the last success was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge

from ..model import RunResult, Status, TargetContents, Task
from ..state import history, restores, target
from . import http

PREFIX = "duplicity_cron_"
BY_TASK = ("task",)
BY_STATUS = ("task", "status")
# duplicity's statistics of the task's last successful backup: BackupStats field -> (gauge, help)
BACKUP_GAUGES = {
    "source_files": ("backup_source_files", "Files, folders and links in the last successful backup"),
    "source_bytes": ("backup_source_bytes", "Bytes duplicity read for the last successful backup"),
    "new_files": ("backup_new_files", "Files new in the last successful backup"),
    "changed_files": ("backup_changed_files", "Files changed in the last successful backup"),
    "deleted_files": ("backup_deleted_files", "Files the last successful backup found deleted"),
    "destination_change_bytes": (
        "backup_destination_change_bytes", "What the last successful backup added to the target, in bytes",
    ),
    "errors": ("backup_errors", "Files the last successful backup could not read"),
}  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.up = self._gauge("up", "1 while the scheduler runs", labels=())
        self.last_run = self._gauge("last_run_timestamp_seconds", "End of the task's last run")
        self.last_success = self._gauge(
            "last_success_timestamp_seconds", "End of the task's last successful run"
        )
        self.last_duration = self._gauge("last_run_duration_seconds", "Duration of the task's last run")
        self.last_status = self._gauge(
            "last_run_status",
            "1 for the status of the task's last run (succeeded, failed, timed_out, interrupted), else 0",
            labels=BY_STATUS,
        )
        self.runs = self._counter(
            "runs",
            "Runs since the scheduler started, by status (skipped: due while the previous run was going)",
        )
        self.max_age = self._gauge("max_age_seconds", "The task's MAX_AGE: the oldest a last success may be")
        self.next_run = self._gauge("next_run_timestamp_seconds", "The task's next due time")
        # Drills (`verify` runs) apart: a successful drill is no backup, the gauges above ignore them.
        self.last_verify = self._gauge(
            "last_verify_timestamp_seconds", "End of the task's last drill (verify)"
        )
        self.last_verify_success = self._gauge(
            "last_verify_success_timestamp_seconds", "End of the task's last successful drill"
        )
        self.last_verify_status = self._gauge(
            "last_verify_status", "1 for the status of the task's last drill, else 0", labels=BY_STATUS
        )
        self.verify_runs = self._counter("verify_runs", "Drills since the scheduler started, by status")
        self.last_recovery = self._gauge(
            "last_restore_seconds",
            "Recovery time of the task's last drill whose data came back (restore and load), in seconds",
        )
        self.last_restore_command = self._gauge(
            "last_restore_task_seconds",
            "Recovery time of the task's last successful `restore TASK` (restore and load), in seconds",
        )

        self.backup = {field: self._gauge(name, text) for field, (name, text) in BACKUP_GAUGES.items()}
        self.target_chains = self._gauge("target_chains", "Backup chains the target held when last read")
        self.target_last_full = self._gauge(
            "target_last_full_timestamp_seconds", "Time of the target's newest full backup"
        )
        self.target_incrementals = self._gauge(
            "target_incrementals_since_last_full", "Incrementals on the newest full backup"
        )
        self.target_size = self._gauge(
            "target_size_bytes",
            "Bytes of the backup volumes the target's chains hold: what each of their backups wrote (set "
            "while every set's size is known)",
        )
        self.target_oldest = self._gauge(
            "target_oldest_restorable_timestamp_seconds",
            "The earliest time a restore can go back to (the oldest chain's full backup)",
        )

    def _gauge(self, name: str, documentation: str, labels: Sequence[str] = BY_TASK) -> Gauge:
        return Gauge(PREFIX + name, documentation, labels, registry=self.registry)

    def _counter(self, name: str, documentation: str) -> Counter:
        """A count of runs: by task and status."""
        return Counter(PREFIX + name, documentation, BY_STATUS, registry=self.registry)

    def serve(self, port: int, page: Callable[[str], str]) -> None:
        """Serve /metrics, and at / the status page `page(X-Forwarded-Prefix)`, on all interfaces (a
        container publishes this port); OSError when the port is taken."""
        http.serve(port, self.registry, page)

    def add_task(self, task: str, max_age: float) -> None:
        self.max_age.labels(task).set(max_age)
        for status in Status:
            self.runs.labels(task, str(status))  # every series exists from the start, at 0

    def refresh(self, state_dir: Path, tasks: Iterable[str]) -> None:
        """Last run and last success from the history: runs of `exec` in other processes count too."""
        for task in tasks:
            for drills in (False, True):
                last = history.latest(state_dir, task, drills=drills)
                if last.success is not None:
                    self._set_last(last.success)
                if last.run is not None:
                    self._set_last(last.run)
            contents, _problem = target.read(state_dir, task)  # a damaged file: `status` tells
            if contents is not None:
                self._set_target(task, contents)
            restore, _problem = restores.read(state_dir, task)
            if restore is not None and restore.seconds is not None:
                self.last_restore_command.labels(task).set(restore.seconds)

    def set_next_run(self, task: str, due: datetime) -> None:
        self.next_run.labels(task).set(due.timestamp())

    def run_started(self, task: Task) -> None:
        pass

    def run_finished(self, task: Task, result: RunResult) -> None:
        """Observer: counts the run and sets its last-run gauges (a drill: the verify ones)."""
        counter = self.verify_runs if result.trigger.is_drill else self.runs
        counter.labels(result.task, str(result.status)).inc()
        self._set_last(result)

    def _set_last(self, result: RunResult) -> None:
        if result.status is Status.SKIPPED:
            return  # not a run: the previous one was still going
        if result.trigger.is_drill:
            self._set_last_verify(result)
            return
        ended = result.ended.timestamp()
        self.last_run.labels(result.task).set(ended)
        self.last_duration.labels(result.task).set(result.duration)
        for status in Status:
            if status is not Status.SKIPPED:
                self.last_status.labels(result.task, str(status)).set(1 if status is result.status else 0)
        if result.status is Status.SUCCEEDED:
            self.last_success.labels(result.task).set(ended)
            if result.backup is not None:
                for field, gauge in self.backup.items():
                    gauge.labels(result.task).set(getattr(result.backup, field))

    def _set_last_verify(self, result: RunResult) -> None:
        ended = result.ended.timestamp()
        if result.recovery_seconds is not None:
            self.last_recovery.labels(result.task).set(result.recovery_seconds)
        self.last_verify.labels(result.task).set(ended)
        for status in Status:
            if status is not Status.SKIPPED:
                self.last_verify_status.labels(result.task, str(status)).set(int(status is result.status))
        if result.status is Status.SUCCEEDED:
            self.last_verify_success.labels(result.task).set(ended)

    def _set_target(self, task: str, contents: TargetContents) -> None:
        """The target gauges; those of times stay unset while the target holds no chain."""
        self.target_chains.labels(task).set(len(contents.chains))
        last, oldest = contents.last_chain, contents.oldest_restorable
        self.target_incrementals.labels(task).set(len(last.incrementals) if last else 0)
        if contents.size_bytes is not None:
            self.target_size.labels(task).set(contents.size_bytes)
        else:  # unknown now: no stale figure
            with contextlib.suppress(KeyError):
                self.target_size.remove(task)
        if last is not None and oldest is not None:
            self.target_last_full.labels(task).set(last.full.timestamp())
            self.target_oldest.labels(task).set(oldest.timestamp())
