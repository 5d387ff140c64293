"""Observer: every run's result recorded in the run history."""

from __future__ import annotations

from pathlib import Path

from ..log import Log
from ..model import RunResult, Task
from ..state import history


class HistoryRecorder:
    """Records each run; remembers the tasks whose run it could not record (`unrecorded`), so that `exec`
    and `restore` can exit non-zero: a backup whose success is lost pages someone later."""

    def __init__(self, state_dir: Path, log: Log) -> None:
        self.state_dir = state_dir
        self.log = log
        self.unrecorded: list[str] = []

    def run_started(self, task: Task) -> None:
        pass

    def run_finished(self, task: Task, result: RunResult) -> None:
        recorded = False
        try:
            history.record(self.state_dir, result)
            recorded = True
        except OSError as exc:
            self.log.event(f"cannot record the run in {self.state_dir}: {exc}", task=task.id, level="error")
        finally:
            if not recorded and task.id not in self.unrecorded:  # a daemon on a full disk: once per task
                self.unrecorded.append(task.id)
