"""Ping monitors in the healthchecks.io style (also Uptime Kuma push, Cronitor):
GET <url>/start when a run starts, GET <url> on success, POST <url>/fail with the output tail on failure.

Each call: 5 s timeout per try, one retry; a dead monitor costs a run at most about 11 s per call.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from .result import RunResult, Status

TIMEOUT = 5.0
TRIES = 2
RETRY_DELAY = 1.0
_FAIL_STATUSES = (Status.FAILED, Status.TIMED_OUT, Status.INTERRUPTED)


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
        except (OSError, ValueError) as exc:
            problem = str(getattr(exc, "reason", exc))
    on_problem(f"ping {url} failed after {TRIES} tries: {problem}")
    return False


def ping_start(base_url: str, on_problem: Callable[[str], None]) -> bool:
    return ping(f"{base_url}/start", on_problem)


def ping_result(base_url: str, result: RunResult, on_problem: Callable[[str], None]) -> bool | None:
    """The end-of-run ping; None when the status calls for none (a skipped run)."""
    if result.status is Status.SUCCEEDED:
        return ping(base_url, on_problem)
    if result.status in _FAIL_STATUSES:
        header = (
            f"{result.task}: {result.status}, failed step {result.failed_step}, exit code {result.exit_code}"
        )
        body = "\n".join([header, *result.output_tail])
        return ping(f"{base_url}/fail", on_problem, body=body.encode("utf-8"))
    return None
