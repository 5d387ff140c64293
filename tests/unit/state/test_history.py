"""Run history: a record per run, round trip, pruning to the newest runs, crash safety, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duplicity_cron.model import LastRuns, RunResult, Status, Trigger
from duplicity_cron.state import files, history, inflight

START = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)
TASK = "nightly_db"


def result(
    index: int = 0,
    task: str = TASK,
    status: Status = Status.SUCCEEDED,
    trigger: Trigger = Trigger.SCHEDULE,
    marker: str = "",
) -> RunResult:
    started = START + timedelta(minutes=index)
    return RunResult(
        task=task,
        status=status,
        trigger=trigger,
        started=started,
        ended=started + timedelta(seconds=30),
        exit_code=index,
        failed_step=None,
        output_tail=(f"run {index} {marker}".rstrip(),),
    )


def all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# --- round trip ---------------------------------------------------------------------------------


def test_record_and_load_keep_every_field(tmp_path: Path) -> None:
    original = RunResult(
        task=TASK,
        status=Status.TIMED_OUT,
        trigger=Trigger.RESTORE,
        started=START,
        ended=START + timedelta(minutes=61, seconds=2.5),
        exit_code=137,
        failed_step="extract",
        output_tail=("first line", "élan ✓ unicode", "", "  indented  ", 'quote " and \\ backslash'),
    )
    history.record(tmp_path, original)
    assert history.load_runs(tmp_path, TASK) == [original]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_status_and_trigger_round_trips(tmp_path: Path, status: Status, trigger: Trigger) -> None:
    original = result(3, status=status, trigger=trigger)
    history.record(tmp_path, original)
    [loaded] = history.load_runs(tmp_path, TASK)
    assert loaded == original
    assert loaded.status is status
    assert loaded.trigger is trigger


def test_record_returns_a_json_file_of_the_run(tmp_path: Path) -> None:
    path = history.record(tmp_path, result(1))
    assert path.is_file()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["task"] == TASK
    assert data["status"] == "succeeded"
    assert datetime.fromisoformat(data["started"]) == START + timedelta(minutes=1)


def test_load_runs_of_an_unknown_task_or_empty_state_is_empty(tmp_path: Path) -> None:
    assert history.load_runs(tmp_path, TASK) == []
    assert history.load_runs(tmp_path / "missing", TASK) == []


def test_load_runs_is_oldest_first_whatever_the_recording_order(tmp_path: Path) -> None:
    for index in (5, 1, 9, 3, 7):
        history.record(tmp_path, result(index))
    assert [run.exit_code for run in history.load_runs(tmp_path, TASK)] == [1, 3, 5, 7, 9]


def test_runs_with_the_same_start_time_are_all_kept(tmp_path: Path) -> None:
    for marker in "abcde":
        history.record(tmp_path, result(0, marker=marker))
    runs = history.load_runs(tmp_path, TASK)
    assert sorted(run.output_tail[0] for run in runs) == [f"run 0 {m}" for m in "abcde"]


# --- pruning ------------------------------------------------------------------------------------


def test_the_newest_100_runs_per_task_are_kept_by_default(tmp_path: Path) -> None:
    assert history.KEEP_PER_TASK == 100
    for index in range(105):
        history.record(tmp_path, result(index))
    runs = history.load_runs(tmp_path, TASK)
    assert [run.exit_code for run in runs] == list(range(5, 105))
    assert len(all_files(history.runs_dir(tmp_path, TASK))) == 100


def test_keep_parameter(tmp_path: Path) -> None:
    for index in range(10):
        history.record(tmp_path, result(index), keep=3)
    assert [run.exit_code for run in history.load_runs(tmp_path, TASK)] == [7, 8, 9]


def test_pruning_keeps_the_newest_even_when_recorded_out_of_order(tmp_path: Path) -> None:
    for index in (8, 2, 9, 0, 5, 7, 1):
        history.record(tmp_path, result(index), keep=3)
    kept = [run.exit_code for run in history.load_runs(tmp_path, TASK)]
    # The last record (1) is older than the three kept; whatever was pruned, the newest remain.
    assert kept[-2:] == [8, 9]
    assert 7 in kept


def test_pruning_one_task_leaves_the_others_alone(tmp_path: Path) -> None:
    for index in range(5):
        history.record(tmp_path, result(index, task="other"))
    for index in range(10):
        history.record(tmp_path, result(index), keep=2)
    assert len(history.load_runs(tmp_path, "other")) == 5
    assert len(history.load_runs(tmp_path, TASK)) == 2


# --- files --------------------------------------------------------------------------------------


def test_no_temporary_file_is_left(tmp_path: Path) -> None:
    for index in range(20):
        history.record(tmp_path, result(index), keep=10)
    files = all_files(tmp_path)
    assert len(files) == 10
    assert all(p.suffix == ".json" and not p.name.startswith(".") for p in files), files


def test_records_of_different_tasks_are_in_different_folders(tmp_path: Path) -> None:
    a = history.record(tmp_path, result(1, task="alpha"))
    b = history.record(tmp_path, result(2, task="beta"))
    assert a.parent != b.parent
    assert a.parent == history.runs_dir(tmp_path, "alpha")
    assert b.parent == history.runs_dir(tmp_path, "beta")
    assert [run.task for run in history.load_runs(tmp_path, "alpha")] == ["alpha"]
    assert [run.task for run in history.load_runs(tmp_path, "beta")] == ["beta"]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "garbage",
        "[]",
        '{"task": "nightly_db"}',
        '{"task": "nightly_db", "status": "exploded", "trigger": "schedule", '
        '"started": "2026-05-13T10:20:00+00:00", "ended": "2026-05-13T10:21:00+00:00", "exit_code": 0}',
        '{"task": "nightly_db", "status": "failed", "trigger": "schedule", '
        '"started": "not a date", "ended": "2026-05-13T10:21:00+00:00", "exit_code": 0}',
    ],
)
def test_corrupt_record_files_are_skipped(tmp_path: Path, content: str) -> None:
    history.record(tmp_path, result(1))
    history.record(tmp_path, result(3))
    folder = history.runs_dir(tmp_path, TASK)
    (folder / "20260513T103000.000000Z-1-1.json").write_text(content, encoding="utf-8")
    assert [run.exit_code for run in history.load_runs(tmp_path, TASK)] == [1, 3]


def test_binary_garbage_record_is_skipped(tmp_path: Path) -> None:
    history.record(tmp_path, result(1))
    folder = history.runs_dir(tmp_path, TASK)
    (folder / "00000000T000000.000000Z-1-1.json").write_bytes(b"\xff\xfe\x00\x80")
    assert [run.exit_code for run in history.load_runs(tmp_path, TASK)] == [1]


def test_a_crash_while_writing_leaves_no_half_written_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history.record(tmp_path, result(1))

    real_fdopen = os.fdopen

    class DiskFillsUp:
        """The record's file, which takes a part of the record and then fails."""

        def __init__(self, fd: int, mode: str) -> None:
            self.stream = real_fdopen(fd, mode)

        def __enter__(self) -> DiskFillsUp:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, data: bytes) -> None:
            self.stream.write(data[:27])  # '{"task": "nightly_db", "sta'
            self.stream.flush()
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fdopen", DiskFillsUp)
    with pytest.raises(OSError):
        history.record(tmp_path, result(2))
    monkeypatch.undo()
    assert history.load_runs(tmp_path, TASK) == [result(1)]
    assert len(all_files(tmp_path)) == 1


# --- concurrent writers -------------------------------------------------------------------------

WRITERS = 4
RUNS_PER_WRITER = 60


def _write_many(state_dir: str, writer: int, count: int, start_barrier: object) -> None:
    """One process recording `count` runs of the same task, all writers starting together.

    The start times deliberately collide across writers.
    """
    start_barrier.wait()  # type: ignore[attr-defined]
    for index in range(count):
        history.record(Path(state_dir), result(index, marker=f"writer {writer}"), keep=100_000)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_concurrent_writers_lose_no_run(tmp_path: Path, method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    context = multiprocessing.get_context(method)
    barrier = context.Barrier(WRITERS)
    processes = [
        context.Process(target=_write_many, args=(str(tmp_path), writer, RUNS_PER_WRITER, barrier))
        for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0] * WRITERS

    runs = history.load_runs(tmp_path, TASK)
    seen = sorted(run.output_tail[0] for run in runs)
    expected = sorted(
        f"run {index} writer {writer}" for writer in range(WRITERS) for index in range(RUNS_PER_WRITER)
    )
    assert seen == expected
    assert all(p.suffix == ".json" and not p.name.startswith(".") for p in all_files(tmp_path))


def test_concurrent_writers_with_the_default_keep_keep_the_newest(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [
        context.Process(target=_write_some_default_keep, args=(str(tmp_path), writer, barrier))
        for writer in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0, 0]
    runs = history.load_runs(tmp_path, TASK)
    assert len(runs) == 100
    # Both writers wrote runs 0..69; the 100 newest are the 50 newest of each.
    assert sorted({run.exit_code for run in runs}) == list(range(20, 70))


def _write_some_default_keep(state_dir: str, writer: int, start_barrier: object) -> None:
    start_barrier.wait()  # type: ignore[attr-defined]
    for index in range(70):
        history.record(Path(state_dir), result(index, marker=f"writer {writer}"))


def test_skipped_occurrences_never_push_the_last_success_out(tmp_path: Path) -> None:
    """A long run skips many occurrences: those are kept apart, so the runs (and the last success) stay."""
    start = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    history.record(
        tmp_path, RunResult("t", Status.SUCCEEDED, Trigger.SCHEDULE, start, start + timedelta(hours=2))
    )
    for second in range(150):
        moment = start + timedelta(minutes=1, seconds=second)
        history.record(tmp_path, RunResult("t", Status.SKIPPED, Trigger.SCHEDULE, moment, moment), keep=100)
    runs = history.load_runs(tmp_path, "t")
    assert [run.status for run in runs].count(Status.SKIPPED) == 100
    assert [run.status for run in runs if run.status is not Status.SKIPPED] == [Status.SUCCEEDED]


def test_latest_gives_the_newest_finished_run_and_the_newest_success(tmp_path: Path) -> None:
    start = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def at(minutes: int, status: Status) -> RunResult:
        moment = start + timedelta(minutes=minutes)
        return RunResult("t", status, Trigger.SCHEDULE, moment, moment + timedelta(seconds=30))

    assert history.latest(tmp_path, "t") == LastRuns(None, None, None)
    for minutes, status in [
        (0, Status.SUCCEEDED),
        (10, Status.SUCCEEDED),
        (20, Status.FAILED),
        (30, Status.SKIPPED),
    ]:
        history.record(tmp_path, at(minutes, status))
    last = history.latest(tmp_path, "t")
    last_run, last_success = last.run, last.success
    assert last_run is not None and last_run.status is Status.FAILED
    assert last_success is not None and last_success.started == start + timedelta(minutes=10)


def test_drills_are_kept_apart_so_frequent_drills_never_push_out_the_backup_runs(tmp_path: Path) -> None:
    for index in range(3):
        history.record(tmp_path, result(index), keep=3)
    for index in range(3, 10):
        history.record(tmp_path, result(index, trigger=Trigger.VERIFY), keep=3)
    kept = history.load_runs(tmp_path, TASK)
    assert [(run.exit_code, run.trigger) for run in kept] == [
        (0, Trigger.SCHEDULE), (1, Trigger.SCHEDULE), (2, Trigger.SCHEDULE),
        (7, Trigger.VERIFY), (8, Trigger.VERIFY), (9, Trigger.VERIFY),
    ]  # fmt: skip


def test_latest_reads_backup_runs_or_drills(tmp_path: Path) -> None:
    history.record(tmp_path, result(0))
    history.record(tmp_path, result(1, status=Status.FAILED))
    history.record(tmp_path, result(2, trigger=Trigger.VERIFY))
    history.record(tmp_path, result(3, status=Status.FAILED, trigger=Trigger.VERIFY))
    backups = history.latest(tmp_path, TASK)
    drills = history.latest(tmp_path, TASK, drills=True)
    assert (backups.run.exit_code, backups.success.exit_code) == (1, 0)  # type: ignore[union-attr]
    assert (drills.run.exit_code, drills.success.exit_code) == (3, 2)  # type: ignore[union-attr]


def _lost_in_progress(state: Path, started: datetime) -> RunResult:
    """An in-progress record whose runner is gone (a waited-for child's pid), as a kill -9 leaves it."""
    child = subprocess.Popen(["true"])
    child.wait()
    record = inflight.InFlight(TASK, Trigger.EXEC, started, started, child.pid, socket.gethostname(), "load")
    inflight.write(state, record)
    return record.lost()


def test_a_run_whose_runner_died_is_the_newest_run_at_once(tmp_path: Path) -> None:
    history.record(tmp_path, result(status=Status.SUCCEEDED))
    lost = _lost_in_progress(tmp_path, START + timedelta(hours=1))
    assert history.read_history(tmp_path, TASK).runs[-1] == lost
    newest = history.latest(tmp_path, TASK)
    assert newest.run == lost and newest.verdict == lost and newest.success == result(status=Status.SUCCEEDED)
    assert history.latest(tmp_path, TASK, drills=True).run is None  # a backup's, not a drill's


def test_a_lost_run_recorded_already_is_not_seen_twice(tmp_path: Path) -> None:
    lost = _lost_in_progress(tmp_path, START)
    history.record(tmp_path, lost)  # what the next run does, before it clears the record
    assert history.read_history(tmp_path, TASK).runs == [lost]
    assert list(history.latest(tmp_path, TASK).__dict__.values()) == [lost, lost, None]


def test_a_run_in_progress_of_a_live_runner_is_not_a_run_yet(tmp_path: Path) -> None:
    inflight.write(tmp_path, inflight.InFlight.begin(TASK, Trigger.EXEC, datetime.now(UTC)))
    assert history.read_history(tmp_path, TASK).runs == []
    assert history.latest(tmp_path, TASK) == LastRuns()
