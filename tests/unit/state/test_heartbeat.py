"""The heartbeat file: its dictionary form, writing and reading it, and what an unreadable one gives."""

from __future__ import annotations

import json
import os
import re
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from duplicity_cron.model import PlannedTask
from duplicity_cron.state import heartbeat
from duplicity_cron.state.files import Damaged
from duplicity_cron.state.heartbeat import Heartbeat

START = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def sample(stopped: datetime | None = None) -> Heartbeat:
    return Heartbeat(
        pid=4242,
        hostname="backup-host",
        started=START,
        updated=START + timedelta(seconds=40),
        tasks=(
            PlannedTask("nightly_db", "10 1 * * *", 172800.0, datetime(2026, 5, 14, 1, 10, tzinfo=UTC)),
            PlannedTask(
                "photos", "@hourly (0 * * * *)", 7200.5, datetime(2026, 5, 13, 13, 0, tzinfo=PLUS_TWO)
            ),
        ),
        stopped=stopped,
    )


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# --- dictionary form ----------------------------------------------------------------------------


@pytest.mark.parametrize("stopped", [None, START + timedelta(hours=3)])
def test_to_dict_from_dict_round_trip(stopped: datetime | None) -> None:
    original = sample(stopped)
    assert Heartbeat.from_dict(original.to_dict()) == original


def test_round_trip_through_json_keeps_every_field_and_offset() -> None:
    original = sample(START + timedelta(hours=1))
    again = Heartbeat.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original
    assert again.tasks[1].first_due.utcoffset() == timedelta(hours=2)
    assert again.stopped == START + timedelta(hours=1)
    assert again.tasks[0].max_age == 172800.0
    assert again.tasks[1].schedule == "@hourly (0 * * * *)"


def test_to_dict_fields() -> None:
    data = sample().to_dict()
    assert data["pid"] == 4242
    assert data["hostname"] == "backup-host"
    assert datetime.fromisoformat(data["started"]) == START
    assert data["stopped"] is None
    assert [task["task"] for task in data["tasks"]] == ["nightly_db", "photos"]
    assert {"task", "schedule", "max_age", "first_due"} <= set(data["tasks"][0])


def test_beat_and_stop() -> None:
    later = START + timedelta(minutes=5)
    assert sample().beat(later).updated == later
    assert sample().beat(later).stopped is None
    stopped = sample().stop(later)
    assert stopped.stopped == later
    assert stopped.updated == later
    assert stopped.tasks == sample().tasks


# --- the file -----------------------------------------------------------------------------------


def test_write_then_read(tmp_path: Path) -> None:
    heartbeat.write(tmp_path, sample())
    assert heartbeat.read(tmp_path) == sample()


def test_write_replaces_the_previous_heartbeat(tmp_path: Path) -> None:
    heartbeat.write(tmp_path, sample())
    heartbeat.write(tmp_path, sample().stop(START + timedelta(hours=1)))
    read = heartbeat.read(tmp_path)
    assert read is not None
    assert read.stopped == START + timedelta(hours=1)


def test_write_creates_the_state_folder_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    state = tmp_path / "state" / "nested"
    for second in range(5):
        heartbeat.write(state, sample().beat(START + timedelta(seconds=second)))
    assert files_in(state) == [heartbeat.FILE_NAME]


def test_the_file_is_json(tmp_path: Path) -> None:
    heartbeat.write(tmp_path, sample())
    data = json.loads((tmp_path / heartbeat.FILE_NAME).read_text(encoding="utf-8"))
    assert data["pid"] == 4242
    assert Heartbeat.from_dict(data) == sample()


def test_read_of_a_missing_file_is_none(tmp_path: Path) -> None:
    assert heartbeat.read(tmp_path) is None
    assert heartbeat.read(tmp_path / "does-not-exist") is None


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "not json at all",
        "[]",
        "null",
        '{"pid": 1}',
        '{"pid": "x", "hostname": "h", "started": "2026-05-13T10:20:00+00:00", '
        '"updated": "2026-05-13T10:20:00+00:00", "tasks": []}',
        '{"pid": 1, "hostname": "h", "started": "yesterday", "updated": "now", "tasks": []}',
        '{"pid": 1, "hostname": "h", "started": "2026-05-13T10:20:00+00:00", '
        '"updated": "2026-05-13T10:20:00+00:00", "tasks": [{"task": "x"}]}',
    ],
)
def test_read_of_a_corrupt_file_is_none(tmp_path: Path, content: str) -> None:
    (tmp_path / heartbeat.FILE_NAME).write_text(content, encoding="utf-8")
    assert heartbeat.read(tmp_path) is None


def test_read_of_binary_garbage_is_none(tmp_path: Path) -> None:
    (tmp_path / heartbeat.FILE_NAME).write_bytes(b"\xff\xfe\x00garbage\x80")
    assert heartbeat.read(tmp_path) is None


# --- a damaged heartbeat ------------------------------------------------------------------------


def write_raw(folder: Path, **changes: object) -> None:
    data = sample().to_dict()
    data.update(changes)
    (folder / heartbeat.FILE_NAME).write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("pid", [0, -1, -4242, 2**22 + 1, 10**30, "4242", True, None, 4242.0])
def test_a_pid_that_is_no_process_id_is_damage(tmp_path: Path, pid: object) -> None:
    write_raw(tmp_path, pid=pid)
    with pytest.raises(Damaged, match=rf"pid {re.escape(repr(pid))} is not a process id"):
        heartbeat.read_checked(tmp_path)
    assert heartbeat.read(tmp_path) is None


@pytest.mark.parametrize("pid", [1, 4242, 2**22])
def test_a_pid_in_range_is_read(tmp_path: Path, pid: int) -> None:
    write_raw(tmp_path, pid=pid)
    read = heartbeat.read_checked(tmp_path)
    assert read is not None and read.pid == pid


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"updated": "2026-05-13T10:20:00"}, "updated 2026-05-13T10:20:00 has no UTC offset"),
        ({"started": 1}, "started is not a string"),
        ({"stopped": "0001-01-01T00:00:00+01:00"}, "out of range"),
        ({"hostname": 7}, "hostname is not a string"),
        ({"tasks": {"t": 1}}, "tasks is not a list"),
        ({"tasks": [{"task": "t", "schedule": "s", "max_age": float("nan"), "first_due": "x"}]}, "max_age"),
        ({"tasks": [{"task": "t", "schedule": "s", "max_age": float("inf"), "first_due": "x"}]}, "max_age"),
        ({"tasks": [{"task": "t", "schedule": "s", "max_age": 0, "first_due": "x"}]}, "max_age"),
        (
            {"tasks": [{"task": "t", "schedule": "s", "max_age": 1, "first_due": "2026-05-13T10:20:00"}]},
            "first_due 2026-05-13T10:20:00 has no UTC offset",
        ),
    ],
)
def test_a_heartbeat_no_daemon_writes_is_damage(tmp_path: Path, changes: dict[str, object], why: str) -> None:
    write_raw(tmp_path, **changes)
    with pytest.raises(Damaged, match=re.escape(why)):
        heartbeat.read_checked(tmp_path)


def test_a_heartbeat_that_is_a_folder_or_a_fifo_is_damage(tmp_path: Path) -> None:
    (tmp_path / heartbeat.FILE_NAME).mkdir()
    with pytest.raises(Damaged, match="not a regular file"):
        heartbeat.read_checked(tmp_path)
    other = tmp_path / "fifo"
    other.mkdir()
    os.mkfifo(other / heartbeat.FILE_NAME)
    with pytest.raises(Damaged, match="not a regular file"):  # and it did not wait for a writer
        heartbeat.read_checked(other)


def test_a_state_folder_that_is_a_file_is_damage(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("x")
    with pytest.raises(Damaged, match=f"the state folder: {tmp_path / 'state'} is not a folder"):
        heartbeat.read_checked(tmp_path / "state")


def test_no_heartbeat_is_none_not_damage(tmp_path: Path) -> None:
    assert heartbeat.read_checked(tmp_path) is None
    assert heartbeat.read_checked(tmp_path / "not" / "there") is None


@pytest.mark.parametrize("pid", [0, -1, -4242, 2**22 + 1, 10**30])
def test_writer_alive_never_signals_a_pid_that_is_no_process(
    monkeypatch: pytest.MonkeyPatch, pid: int
) -> None:
    """0 would signal our own process group, -1 every process we may signal."""
    calls: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: calls.append(pid))
    beat = Heartbeat(pid, socket.gethostname(), START, START, ())
    assert heartbeat.writer_alive(beat) is False
    assert calls == []


def test_writer_alive_of_this_process_and_of_a_gone_one() -> None:
    assert heartbeat.writer_alive(Heartbeat(os.getpid(), socket.gethostname(), START, START, ())) is True
    assert heartbeat.writer_alive(Heartbeat(os.getpid(), "another-host", START, START, ())) is None


def test_a_drill_entry_round_trips_and_an_old_heartbeat_has_none(tmp_path: Path) -> None:
    drill = PlannedTask("photos", "weekly (20 2 * * 0)", 1209600.0, START, drill=True)
    beat = Heartbeat(4242, "backup-host", START, START, (drill,))
    heartbeat.write(tmp_path, beat)
    assert heartbeat.read_checked(tmp_path) == beat
    assert drill.key == "photos/verify"
    data = sample().to_dict()
    for task in data["tasks"]:
        del task["drill"]  # written before drills existed
    assert not any(entry.drill for entry in Heartbeat.from_dict(data).tasks)
    data["tasks"][0]["drill"] = "yes"
    with pytest.raises(TypeError):
        Heartbeat.from_dict(data)
