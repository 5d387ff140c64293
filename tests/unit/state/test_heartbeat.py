"""The heartbeat file: its dictionary form, writing and reading it, and what an unreadable one gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from duplicity_cron.model import PlannedTask
from duplicity_cron.state import heartbeat
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
