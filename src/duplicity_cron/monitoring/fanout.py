"""What happens around every run, whatever started it: each observer told in turn (history first, then
metrics, notifications, pings). A failing observer is logged and never fails the run nor the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..log import Log
from ..model import RunObserver, RunResult, Task
from .notifications import Notifier
from .pings import Pinger
from .recorder import HistoryRecorder


class Observers:
    """A `RunObserver` that fans out to several."""

    def __init__(self, observers: Sequence[RunObserver], log: Log) -> None:
        self.observers = tuple(observers)
        self.log = log

    def run_started(self, task: Task) -> None:
        for observer in self.observers:
            try:
                observer.run_started(task)
            except Exception as exc:
                self._failed(observer, task, exc)

    def run_finished(self, task: Task, result: RunResult) -> None:
        for observer in self.observers:
            try:
                observer.run_finished(task, result)
            except Exception as exc:
                self._failed(observer, task, exc)

    @property
    def unrecorded(self) -> list[str]:
        """The tasks whose run the history could not record, in the order they ran."""
        return [task for o in self.observers if isinstance(o, HistoryRecorder) for task in o.unrecorded]

    def _failed(self, observer: RunObserver, task: Task, exc: Exception) -> None:
        self.log.event(f"internal error in {type(observer).__name__}: {exc!r}", task=task.id, level="error")


def observers_for(config: Config, log: Log, metrics: RunObserver | None = None) -> Observers:
    """The observers of every run: history, metrics (the daemon's, when it serves them), the
    Pushgateway (CONF_PUSHGATEWAY_URL), notifications, pings."""
    observers: list[RunObserver] = [HistoryRecorder(Path(config.state_dir), log)]
    if metrics is not None:
        observers.append(metrics)
    if config.pushgateway_url is not None:
        from .pushgateway import Pusher  # prometheus_client: ~0.1 s of every start-up otherwise

        observers.append(Pusher(config.pushgateway_url, Path(config.state_dir), log))
    observers += [Notifier(config.notify_urls_for, config.notify_on_for, log), Pinger(log)]
    return Observers(observers, log)
