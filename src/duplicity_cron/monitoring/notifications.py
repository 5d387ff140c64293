"""Notifications through Apprise (e-mail, Slack, ntfy, Telegram, JSON webhooks...).

Apprise is imported only when URLs are configured: it costs ~10 MB and 0.1 s, which an idle daemon
without notifications should not pay. Sending runs in a thread bounded by `SEND_BOUND` in total, so a
hanging server never holds a run, and never fails it.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Sequence

from ..config.durations import format_duration, format_precise
from ..log import Log
from ..model import RestoreRecord, RunResult, Status, Task

SEND_BOUND = 10.0  # seconds, for all URLs of one run together


def url_problems(variable: str, urls: Sequence[str]) -> list[str]:
    """URLs Apprise cannot parse, named by position and scheme only: the URL itself carries tokens."""
    if not urls:
        return []
    import apprise  # deferred: see the module docstring

    problems = []
    for position, url in enumerate(urls, start=1):
        if not apprise.Apprise().add(url):
            scheme = url.split("://", 1)[0] if "://" in url else "(no scheme)"
            problems.append(f"{variable}: Apprise cannot use URL #{position} (scheme {scheme})")
    return problems


def should_notify(notify_on: str, status: Status) -> bool:
    if notify_on == "always":
        return True
    if notify_on == "failure":
        return status.is_failure
    return False


def compose(result: RunResult, host: str | None = None) -> tuple[str, str]:
    """Title and body of the notification for `result` (its output tail is already masked)."""
    host = host or socket.gethostname()
    what = "verify of backup task" if result.trigger.is_drill else "backup task"
    title = f"[{host}] {what} {result.task}: {result.status}"
    lines = [
        f"Task: {result.task} ({result.trigger}) on {host}",
        f"Status: {result.status}",
        f"Started: {result.started.isoformat(timespec='seconds')}",
        f"Duration: {format_duration(result.duration)}",
        f"Exit code: {result.exit_code}",
    ]
    if result.failed_step:
        lines.append(f"Failed step: {result.failed_step}")
    if result.recovery_seconds is not None:
        lines.append(f"Recovery time (the data back): {format_precise(result.recovery_seconds)}")
    if result.output_tail:
        lines += ["", f"Last {len(result.output_tail)} lines of output:", *result.output_tail]
    return title, "\n".join(lines)


def compose_restore(
    task: str, record: RestoreRecord, into: str, reason: str = "", host: str | None = None
) -> tuple[str, str]:
    """Title and body of the notification for a `restore TASK` that ended (`into`: the folder or the
    server without its password; `reason`: why it failed, one line)."""
    host = host or socket.gethostname()
    status = Status.SUCCEEDED if record.succeeded else Status.FAILED
    title = f"[{host}] restore of backup task {task}: {status}"
    lines = [
        f"Task: {task} (restore) on {host}",
        f"Status: {status}",
        f"Ended: {record.ended.isoformat(timespec='seconds')}",
        f"Into: {into}",
    ]
    if record.seconds is not None:
        lines.append(f"Recovery time (the data back): {format_precise(record.seconds)}")
    if reason:
        lines.append(f"Why: {reason}")
    return title, "\n".join(lines)


def send(
    urls: Sequence[str],
    title: str,
    body: str,
    success: bool,
    on_problem: Callable[[str], None],
    bound: float = SEND_BOUND,
) -> bool:
    """Send to every URL; True if all were delivered within `bound` seconds. Never raises."""
    outcome: list[bool] = []

    def deliver() -> None:
        try:
            import apprise  # deferred: see the module docstring

            notifier = apprise.Apprise()
            for url in urls:
                notifier.add(url)

            failing: set[str] = set()

            def apprise_log(entry: object, service: object = None) -> None:
                # Apprise's messages quote parts of the URL (an ntfy topic, a user name): only the
                # kind of service is passed on, the text is not.
                level = logging.getLevelName(str(getattr(entry, "level", "INFO")))
                name = str(getattr(service, "service_name", None) or "a notification service")
                if isinstance(level, int) and level >= logging.WARNING and name not in failing:
                    failing.add(name)
                    on_problem(
                        f"notification: {name} reported a problem (details hidden: they may quote tokens)"
                    )

            notify_type = apprise.NotifyType.SUCCESS if success else apprise.NotifyType.FAILURE
            delivered = notifier.notify(
                body=body, title=title, notify_type=notify_type, timeout=bound, log_callback=apprise_log
            )
            outcome.append(bool(delivered))
        except Exception as exc:  # a notification must never take the runner down
            on_problem(f"notification failed: {exc!r}")
            outcome.append(False)

    sender = threading.Thread(target=deliver, name="notify", daemon=True)
    sender.start()
    sender.join(bound)
    if sender.is_alive():
        on_problem(f"notification not delivered within {bound:g}s; given up")
        return False
    if not all(outcome):
        on_problem(f"notification not delivered to every one of {len(urls)} URL(s)")
        return False
    return True


class Notifier:
    """Observer: a notification at the end of a run, to the task's and the global URLs, when NOTIFY_ON
    asks for one."""

    def __init__(
        self,
        urls_for: Callable[[Task], Sequence[str]],
        notify_on_for: Callable[[Task], str],
        log: Log,
        host: str | None = None,
    ) -> None:
        self.urls_for = urls_for
        self.notify_on_for = notify_on_for
        self.log = log
        self.host = host or socket.gethostname()

    def run_started(self, task: Task) -> None:
        pass

    def run_finished(self, task: Task, result: RunResult) -> None:
        urls = self.urls_for(task)
        if urls and should_notify(self.notify_on_for(task), result.status):
            title, body = compose(result, self.host)
            if send(urls, title, body, result.succeeded, self.log.warner(task.id)):
                self.log.event(f"notified {len(urls)} URL(s)", task=task.id)

    def restore_finished(self, task: Task, record: RestoreRecord, into: str, reason: str = "") -> None:
        """A restore that ended (a refusal restored nothing and is not told): to the task's URLs, as
        its NOTIFY_ON says (`failure`: failed restores; `always`: every one)."""
        urls = self.urls_for(task)
        status = Status.SUCCEEDED if record.succeeded else Status.FAILED
        if urls and should_notify(self.notify_on_for(task), status):
            title, body = compose_restore(task.id, record, into, reason, self.host)
            if send(urls, title, body, record.succeeded, self.log.warner(task.id)):
                self.log.event(f"notified {len(urls)} URL(s)", task=task.id)
