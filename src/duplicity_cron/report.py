"""What happens around every run, whatever started it: history, metrics, notifications, pings."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import history, notify, ping
from .config import Config
from .log import Log
from .result import RunResult
from .tasks import Task

if TYPE_CHECKING:
    from .metrics import Metrics


class Reporter:
    """Observes runs (see run.RunObserver). Every failure here is logged and never fails the run."""

    def __init__(self, config: Config, log: Log, metrics: Metrics | None = None) -> None:
        self.config = config
        self.log = log
        self.metrics = metrics
        self.host = socket.gethostname()

    def run_started(self, task: Task) -> None:
        if task.ping_url:
            ping.ping_start(task.ping_url, self._problem(task))

    def run_finished(self, task: Task, result: RunResult) -> None:
        try:
            history.record(Path(self.config.state_dir), result)
        except OSError as exc:
            self.log.event(
                f"cannot record the run in {self.config.state_dir}: {exc}", task=task.id, level="error"
            )
        if self.metrics is not None:
            self.metrics.observe(result)
        urls = self.config.notify_urls_for(task)
        if urls and notify.should_notify(self.config.notify_on_for(task), result.status):
            title, body = notify.compose(result, self.host)
            if notify.send(urls, title, body, result.succeeded, self._problem(task)):
                self.log.event(f"notified {len(urls)} URL(s)", task=task.id)
        if task.ping_url:
            ping.ping_result(task.ping_url, result, self._problem(task))

    def _problem(self, task: Task) -> Callable[[str], None]:
        return lambda message: self.log.event(message, task=task.id, level="warning")
