"""Notifications: when to send, what the title and body say, and which Apprise URLs are refused."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta

import pytest

from duplicity_cron.config.durations import format_duration
from duplicity_cron.model import RestoreRecord, RunResult, Status, Trigger
from duplicity_cron.monitoring.notifications import compose, compose_restore, should_notify, url_problems

START = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)
TAIL = ("dumping database nightly", "pg_dump: error: connection refused", "exit status 2")


def result(
    status: Status = Status.FAILED,
    exit_code: int = 2,
    failed_step: str | None = "extract",
    tail: tuple[str, ...] = TAIL,
) -> RunResult:
    return RunResult(
        task="nightly_db",
        status=status,
        trigger=Trigger.SCHEDULE,
        started=START,
        ended=START + timedelta(minutes=4, seconds=10),
        exit_code=exit_code,
        failed_step=failed_step,
        output_tail=tail,
    )


# --- when ---------------------------------------------------------------------------------------

EXPECTED = {
    "failure": {Status.FAILED, Status.TIMED_OUT, Status.LOST},  # a lost run made no backup either
    "always": set(Status),
    "never": set(),
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("notify_on", ["failure", "always", "never"])
def test_should_notify_matrix(notify_on: str, status: Status) -> None:
    assert should_notify(notify_on, status) is (status in EXPECTED[notify_on])


def test_failure_means_failed_timed_out_or_lost_only() -> None:
    failures = [Status.FAILED, Status.TIMED_OUT, Status.LOST]
    assert [s for s in Status if should_notify("failure", s)] == failures


# --- what ---------------------------------------------------------------------------------------


def test_title_has_task_status_and_host() -> None:
    title, _ = compose(result(), host="backup-host")
    assert "nightly_db" in title
    assert "failed" in title
    assert "backup-host" in title
    assert "\n" not in title


@pytest.mark.parametrize("status", list(Status))
def test_title_names_every_status(status: Status) -> None:
    title, _ = compose(result(status), host="h1")
    assert str(status) in title


def test_body_has_failing_step_exit_code_duration_and_tail() -> None:
    _, body = compose(result(), host="backup-host")
    assert "extract" in body
    assert "2" in body
    assert any("exit code" in line.lower() and "2" in line for line in body.splitlines())
    assert format_duration(250.0) in body
    lines = body.splitlines()
    for line in TAIL:
        assert line in lines
    # The tail keeps its order.
    positions = [lines.index(line) for line in TAIL]
    assert positions == sorted(positions)


def test_body_of_a_timeout_has_its_exit_code() -> None:
    _, body = compose(result(Status.TIMED_OUT, exit_code=124, failed_step="load"), host="h")
    assert "124" in body
    assert "load" in body


def test_body_of_a_success_without_failing_step_or_output() -> None:
    title, body = compose(result(Status.SUCCEEDED, exit_code=0, failed_step=None, tail=()), host="h")
    assert "succeeded" in title
    assert "nightly_db" in body
    assert format_duration(250.0) in body


def test_host_defaults_to_this_machine() -> None:
    title, _ = compose(result())
    assert socket.gethostname() in title


# --- which URLs ---------------------------------------------------------------------------------

GOOD = ["json://127.0.0.1:9/x", "mailto://u:p@example.com", "ntfy://topic"]


def test_good_urls_pass() -> None:
    assert url_problems("CONF_NOTIFY_URLS", GOOD) == []


def test_no_urls_no_problem() -> None:
    assert url_problems("CONF_NOTIFY_URLS", []) == []


def test_a_bad_url_is_reported_by_position_and_scheme_without_the_url() -> None:
    bad = "bogus://s3cr3tT0ken@hooks.example.com/Xk9pQ"
    problems = url_problems("TASK_db_NOTIFY_URLS", [GOOD[0], bad, GOOD[2]])
    assert len(problems) == 1
    [problem] = problems
    assert "TASK_db_NOTIFY_URLS" in problem
    assert "2" in problem
    assert "bogus" in problem
    assert bad not in problem
    assert "s3cr3tT0ken" not in problem
    assert "Xk9pQ" not in problem
    assert "hooks.example.com" not in problem


def test_every_bad_url_is_reported_with_its_own_position() -> None:
    urls = ["nope://tokenAAA", GOOD[0], "alsonope://tokenBBB/path", GOOD[1]]
    problems = url_problems("CONF_NOTIFY_URLS", urls)
    assert len(problems) == 2
    assert "1" in problems[0]
    assert "nope" in problems[0]
    assert "3" in problems[1]
    assert "alsonope" in problems[1]
    for problem in problems:
        assert "CONF_NOTIFY_URLS" in problem
        assert "tokenAAA" not in problem
        assert "tokenBBB" not in problem


def test_a_url_without_scheme_is_reported_without_its_text() -> None:
    [problem] = url_problems("CONF_NOTIFY_URLS", ["just-a-s3cr3t-string"])
    assert "CONF_NOTIFY_URLS" in problem
    assert "1" in problem
    assert "s3cr3t" not in problem


def test_a_drill_is_titled_as_a_verify() -> None:
    drill = RunResult("nightly_db", Status.FAILED, Trigger.VERIFY, START, START, 21, "restore")
    title, body = compose(drill, host="backup-host")
    assert title == "[backup-host] verify of backup task nightly_db: failed"
    assert "Task: nightly_db (verify) on backup-host" in body


def test_a_drill_s_notification_says_its_recovery_time() -> None:
    drill = RunResult("nightly_db", Status.SUCCEEDED, Trigger.VERIFY, START, START, recovery_seconds=12.345)
    _title, body = compose(drill, host="backup-host")
    assert "Recovery time (the data back): 12.3s" in body
    _title, body = compose(dataclasses.replace(drill, recovery_seconds=None), host="backup-host")
    assert "Recovery time" not in body


def test_a_restore_is_told_with_where_and_how_long_or_why_not() -> None:
    ended = datetime(2026, 12, 7, 3, 0, 5, tzinfo=UTC)
    title, body = compose_restore("db", RestoreRecord(ended, True, 12.25), "/restore/db", host="h")
    assert title == "[h] restore of backup task db: succeeded"
    assert "Into: /restore/db" in body and "Recovery time (the data back): 12.2" in body
    assert "Ended: 2026-12-07T03:00:05+00:00" in body and "Why" not in body
    title, body = compose_restore("db", RestoreRecord(ended, False, None), "/r", "gpg: bad passphrase", "h")
    assert title == "[h] restore of backup task db: failed"
    assert "Why: gpg: bad passphrase" in body and "Recovery time" not in body
