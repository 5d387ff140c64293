"""Ping monitors in the healthchecks.io style (also Uptime Kuma push, Cronitor):
GET <url>/start when a run starts, GET <url> on success, POST <url>/fail with the output tail on failure.

A drill (`verify` run) pings only when it fails (POST <url>/fail): the monitor watches the backups, and
a drill's success must not tell it a backup was made, nor its start open a run that no backup ends.

Each call: 5 s timeout per try, one retry; a dead monitor costs a run at most about 11 s per call.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from ..log import Log
from ..model import RunResult, Status, Task

TIMEOUT = 5.0
TRIES = 2
RETRY_DELAY = 1.0


def ping(url: str, on_problem: Callable[[str], None], body: bytes | None = None) -> bool:
    """GET `url` (POST when `body` is given); True on a 2xx answer. Never raises."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"User-Agent": "duplicity-cron", "Content-Type": "text/plain; charset=utf-8"},
    )
    problem = ""
    for attempt in range(TRIES):
        if attempt:
            time.sleep(RETRY_DELAY)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                if 200 <= response.status < 300:
                    return True
                problem = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (OSError, ValueError, http.client.HTTPException) as exc:  # InvalidURL is the last
            problem = str(getattr(exc, "reason", exc))
    on_problem(f"ping {url} failed after {TRIES} tries: {problem}")
    return False


def ping_start(base_url: str, on_problem: Callable[[str], None]) -> bool:
    return ping(f"{base_url}/start", on_problem)


def ping_result(base_url: str, result: RunResult, on_problem: Callable[[str], None]) -> bool | None:
    """The end-of-run ping; None when the status calls for none (a skipped run)."""
    if result.status is Status.SUCCEEDED:
        return ping(base_url, on_problem)
    if result.status.is_run:  # failed, timed out, or interrupted
        header = (
            f"{result.task}: {result.status}, failed step {result.failed_step}, exit code {result.exit_code}"
        )
        body = "\n".join([header, *result.output_tail])
        return ping(f"{base_url}/fail", on_problem, body=body.encode("utf-8"))
    return None


class Pinger:
    """Observer: the start and end pings of tasks that have a PING_URL."""

    def __init__(self, log: Log) -> None:
        self.log = log

    def run_started(self, task: Task) -> None:
        # Never told for a drill (see `runner.task_run.run_locked`): no /start for drills.
        if task.ping_url:
            ping_start(task.ping_url, self.log.warner(task.id))

    def run_finished(self, task: Task, result: RunResult) -> None:
        if not task.ping_url:
            return
        if result.trigger.is_drill and not result.status.is_failure:
            return  # see the module's docstring
        ping_result(task.ping_url, result, self.log.warner(task.id))
