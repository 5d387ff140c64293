"""Runs in progress: their record, and what a lost one becomes."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from duplicity_cron.model import Status, Trigger
from duplicity_cron.state import inflight
from duplicity_cron.state.inflight import InFlight

START = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_a_record_round_trips_through_its_file(tmp_path: Path) -> None:
    record = InFlight.begin("db", Trigger.SCHEDULE, START).at_step("load", START + timedelta(seconds=9))
    inflight.write(tmp_path, record)
    assert inflight.read(tmp_path, "db") == record
    assert (record.pid, record.hostname) == (os.getpid(), socket.gethostname())
    inflight.clear(tmp_path, "db")
    assert inflight.read(tmp_path, "db") is None
    inflight.clear(tmp_path, "db")  # clearing twice is fine


def test_a_damaged_record_reads_as_none(tmp_path: Path) -> None:
    inflight.path(tmp_path, "db").parent.mkdir(parents=True)
    for content in ("{", "[]", '{"task": "db"}', '{"task": "db", "trigger": "nope"}'):
        inflight.path(tmp_path, "db").write_text(content)
        assert inflight.read(tmp_path, "db") is None


def test_a_lost_run_keeps_its_start_the_last_known_moment_and_its_step() -> None:
    record = InFlight("db", Trigger.EXEC, START, START + timedelta(minutes=5), 4242, "backup-1", "extract")
    lost = record.lost()
    assert lost.status is Status.LOST and lost.status.is_failure
    assert (lost.started, lost.ended) == (START, START + timedelta(minutes=5))
    assert (lost.trigger, lost.failed_step, lost.exit_code) == (Trigger.EXEC, "extract", 1)
    assert lost.output_tail == (
        "lost: the runner (pid 4242 on backup-1) ended during step extract without recording the run; "
        "whatever it backed up is not trusted",
    )


def test_a_run_lost_before_its_first_step_names_no_step() -> None:
    lost = InFlight.begin("db", Trigger.SCHEDULE, START).lost()
    assert lost.failed_step is None and "during step" not in lost.output_tail[0]


def _gone_pid() -> int:
    """The pid of a process that has ended (and been waited for)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_run_whose_runner_is_gone_is_lost_at_once(tmp_path: Path) -> None:
    record = InFlight("db", Trigger.EXEC, START, START, _gone_pid(), socket.gethostname(), "load")
    inflight.write(tmp_path, record)
    assert inflight.runner_gone(record)
    assert inflight.lost_run(tmp_path, "db") == record.lost()


def test_a_run_whose_runner_still_runs_is_not_lost(tmp_path: Path) -> None:
    record = InFlight.begin("db", Trigger.EXEC, datetime.now(UTC))  # this process, started before it
    inflight.write(tmp_path, record)
    assert not inflight.runner_gone(record)
    assert inflight.lost_run(tmp_path, "db") is None
    assert inflight.lost_run(tmp_path, "other") is None


def test_a_pid_taken_by_a_later_process_is_a_gone_runner() -> None:
    """This process started after 2000: it cannot be the runner of a run that started then."""
    reused = InFlight(
        "db", Trigger.EXEC, datetime(2000, 1, 1, tzinfo=UTC), START, os.getpid(), socket.gethostname()
    )
    assert inflight.runner_gone(reused)


def test_another_hosts_runner_is_never_taken_for_gone() -> None:
    record = InFlight("db", Trigger.EXEC, START, START, _gone_pid(), "another-host")
    assert not inflight.runner_gone(record)
