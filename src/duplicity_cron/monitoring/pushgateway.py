"""Observer: each finished run's metrics pushed to a Prometheus Pushgateway (CONF_PUSHGATEWAY_URL).

For the runs nothing can scrape: a Kubernetes CronJob's pod lives as long as its one `exec`. The series
are those of the daemon's /metrics, in the group job="duplicity-cron", task="<id>", replaced at every
push (PUT); the last success comes from the history, so a failed run still pushes when the last good
one was. A push takes at most TIMEOUT seconds and a failure is a warning: it never fails the run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway
from prometheus_client.exposition import basic_auth_handler, default_handler

from ..log import Log
from ..model import RunResult, Status, Task, split_authority
from ..state import history
from .prometheus import PREFIX

JOB = "duplicity-cron"
TIMEOUT = 10.0
Handler = Callable[..., Callable[[], None]]


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its user part, and (user, password) for basic auth when it had one."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    user, password, host = split_authority(parts.netloc)  # as duplicity and the masking read it
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password or ""))


def run_registry(
    result: RunResult, last_success: RunResult | None, max_age: float | None
) -> CollectorRegistry:
    """The series of one task after `result`, as the daemon's /metrics names them (the task's label is
    the grouping key's)."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, value: float) -> None:
        Gauge(PREFIX + name, doc, registry=registry).set(value)

    gauge("last_run_timestamp_seconds", "End of the task's last run", result.ended.timestamp())
    gauge("last_run_duration_seconds", "Duration of the task's last run", result.duration)
    if last_success is not None:
        gauge(
            "last_success_timestamp_seconds", "End of the last successful run", last_success.ended.timestamp()
        )
    if max_age is not None:
        gauge("max_age_seconds", "The task's MAX_AGE: the oldest a last success may be", max_age)
    status = Gauge(
        PREFIX + "last_run_status",
        "1 for the status of the task's last run, else 0",
        ["status"],
        registry=registry,
    )
    for each in Status:
        if each is not Status.SKIPPED:
            status.labels(str(each)).set(1 if each is result.status else 0)
    return registry


class Pusher:
    """Pushes the metrics of every run that ran (a skipped one changes nothing)."""

    def __init__(self, url: str, state_dir: Path, log: Log) -> None:
        self.url, credentials = split_credentials(url)
        self.handler: Handler = default_handler
        if credentials is not None:
            user, password = credentials

            def handler(url: str, method: str, timeout: float | None, headers: list[tuple[str, str]],
                        data: bytes) -> Callable[[], None]:  # fmt: skip
                return basic_auth_handler(url, method, timeout, headers, data, user, password)

            self.handler = handler
        self.state_dir = state_dir
        self.log = log

    def run_started(self, task: Task) -> None:
        pass

    def run_finished(self, task: Task, result: RunResult) -> None:
        if result.status is Status.SKIPPED:
            return
        last = history.latest(self.state_dir, task.id).success
        if result.status is Status.SUCCEEDED and (last is None or last.ended < result.ended):
            last = result  # the history could not record it: the push still tells
        max_age = task.max_age_at(datetime.now(UTC)) if task.schedule is not None else None
        try:
            push_to_gateway(
                self.url,
                job=JOB,
                registry=run_registry(result, last, max_age),
                grouping_key={"task": task.id},
                timeout=TIMEOUT,
                handler=self.handler,
            )
        except Exception as exc:  # any failure of the push is a warning, never the run's
            self.log.event(f"cannot push the metrics to {self.url}: {exc}", task=task.id, level="warning")
