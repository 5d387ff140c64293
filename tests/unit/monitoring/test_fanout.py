"""The fan-out: every observer is told, in order; one that fails is logged and the others still hear."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.log import Log
from duplicity_cron.model import RunResult, Status, Task, Trigger
from duplicity_cron.monitoring.fanout import Observers, observers_for
from duplicity_cron.monitoring.notifications import Notifier
from duplicity_cron.monitoring.pings import Pinger
from duplicity_cron.monitoring.recorder import HistoryRecorder
from duplicity_cron.state import history

TASK = Task("db", {"load": "true"})
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
RESULT = RunResult("db", Status.SUCCEEDED, Trigger.EXEC, NOW, NOW)


class Recording:
    def __init__(self, name: str, calls: list[str], fail: bool = False) -> None:
        self.name, self.calls, self.fail = name, calls, fail

    def run_started(self, task: Task) -> None:
        self.calls.append(f"{self.name} started {task.id}")
        if self.fail:
            raise RuntimeError("boom")

    def run_finished(self, task: Task, result: RunResult) -> None:
        self.calls.append(f"{self.name} finished {result.status}")
        if self.fail:
            raise RuntimeError("boom")


def make_log() -> tuple[Log, io.StringIO]:
    stream = io.StringIO()
    return Log(lambda text: text, UTC, stream=stream), stream


def test_observers_are_told_in_order() -> None:
    calls: list[str] = []
    log, _ = make_log()
    fanout = Observers([Recording("a", calls), Recording("b", calls)], log)
    fanout.run_started(TASK)
    fanout.run_finished(TASK, RESULT)
    assert calls == ["a started db", "b started db", "a finished succeeded", "b finished succeeded"]


def test_a_failing_observer_is_logged_and_the_others_still_hear() -> None:
    calls: list[str] = []
    log, stream = make_log()
    fanout = Observers([Recording("a", calls, fail=True), Recording("b", calls)], log)
    fanout.run_started(TASK)
    fanout.run_finished(TASK, RESULT)
    assert calls == ["a started db", "b started db", "a finished succeeded", "b finished succeeded"]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(
        "ERROR: internal error in Recording: RuntimeError('boom')" in x for x in lines
    )


def test_the_observers_of_a_run_history_first_then_metrics_notifications_pings(tmp_path: Path) -> None:
    config = parse_config({"CONF_STATE_DIR": str(tmp_path), "TASK_db_LOAD": "true"})
    log, _ = make_log()
    metrics = Recording("metrics", [])
    kinds = [type(o) for o in observers_for(config, log, metrics).observers]
    assert kinds == [HistoryRecorder, Recording, Notifier, Pinger]
    assert [type(o) for o in observers_for(config, log).observers] == [HistoryRecorder, Notifier, Pinger]


def test_the_history_recorder_records_and_survives_an_unwritable_state_folder(tmp_path: Path) -> None:
    log, stream = make_log()
    HistoryRecorder(tmp_path, log).run_finished(TASK, RESULT)
    assert history.load_runs(tmp_path, "db") == [RESULT]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    HistoryRecorder(blocked, log).run_finished(TASK, RESULT)
    assert f"ERROR: cannot record the run in {blocked}" in stream.getvalue()


def test_the_fan_out_tells_which_runs_the_history_could_not_record(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    log, _ = make_log()
    recorders = [HistoryRecorder(tmp_path / "state", log), HistoryRecorder(blocked, log)]
    fanout = Observers([*recorders, Recording("other", [], fail=True)], log)
    assert fanout.unrecorded == []
    fanout.run_finished(TASK, RESULT)
    fanout.run_finished(Task("files", {"load": "true"}), RESULT)
    assert recorders[0].unrecorded == []
    assert recorders[1].unrecorded == ["db", "files"]
    assert fanout.unrecorded == ["db", "files"]  # a failing observer that is no recorder does not count


def test_a_failed_pruning_does_not_make_a_recorded_run_unrecorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, stream = make_log()
    recorder = HistoryRecorder(tmp_path, log)

    def no_listing(folder: Path) -> list[Path]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(history, "_record_files", no_listing)
    recorder.run_finished(TASK, RESULT)
    monkeypatch.undo()
    assert recorder.unrecorded == []
    assert history.load_runs(tmp_path, "db") == [RESULT]
    assert stream.getvalue() == ""
