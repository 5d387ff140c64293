"""SOURCE before the built-in backup, on real folders: a link followed and said, anything but a folder
refused with one line naming TASK_<id>_SOURCE, a file:// TARGET that a link puts inside it refused, and
its count judged against the last recorded backup."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duplicity_cron.model import BackupStats, RunResult, Status, Task, Trigger
from duplicity_cron.runner.source_guard import checked_source, kind_problem, last_backup_stats
from duplicity_cron.state import history

STATS = BackupStats(
    source_files=11, source_bytes=10_000, new_files=0, new_bytes=0, changed_files=0, changed_bytes=0,
    deleted_files=0, raw_delta_bytes=0, destination_change_bytes=0, errors=0, elapsed=1.0,
)  # fmt: skip


class Said:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, level: str, message: str) -> None:
        self.lines.append((level, message))


def folder_of(path: Path, files: int) -> Path:
    path.mkdir(parents=True)
    for number in range(files):
        (path / f"f{number}").write_text("x" * 1000)
    return path


def task(source: Path, target: str = "file:///nowhere/backups", **fields: object) -> Task:
    return replace(Task(id="home", steps={}, target=target, source=str(source)), **fields)


def record(state: Path, stats: BackupStats | None, status: Status = Status.SUCCEEDED) -> None:
    now = datetime.now(UTC)
    run = RunResult("home", status, Trigger.SCHEDULE, now, now, failed_step=None, backup=stats)
    history.record(state, run)


def test_kinds(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "to-dir").symlink_to(tmp_path / "dir")
    (tmp_path / "to-file").symlink_to(tmp_path / "file")
    os.mkfifo(tmp_path / "fifo")
    assert kind_problem("home", str(tmp_path / "dir")) is None
    assert kind_problem("home", str(tmp_path / "to-dir")) is None
    assert kind_problem("home", str(tmp_path / "missing")) is None  # PREPARE may make it
    assert kind_problem("home", str(tmp_path / "file")) == (
        f"TASK_home_SOURCE: {tmp_path}/file is a file, not a folder; "
        "SOURCE must be a folder (or a link to one)"
    )
    assert kind_problem("home", str(tmp_path / "to-file")) == (
        f"TASK_home_SOURCE: {tmp_path}/to-file is a link to a file ({tmp_path}/file), not a folder; "
        "SOURCE must be a folder (or a link to one)"
    )
    assert f"{tmp_path}/fifo is a FIFO, not a folder" in (kind_problem("home", str(tmp_path / "fifo")) or "")


def test_a_link_is_followed_and_said(tmp_path: Path) -> None:
    real = folder_of(tmp_path / "real", 3)
    (tmp_path / "link").symlink_to(real)
    said = Said()
    assert checked_source(task(tmp_path / "link"), "/unused", tmp_path / "state", said) == str(real)
    assert said.lines[0] == (
        "info",
        f"SOURCE {tmp_path}/link is a symbolic link to {real} (or lies under one): backing up {real}",
    )


def test_a_folder_is_backed_up_as_it_is_and_nothing_said(tmp_path: Path) -> None:
    real = folder_of(tmp_path / "real", 3)
    said = Said()
    record(tmp_path / "state", replace(STATS, source_files=4, source_bytes=3000 + 4096))
    assert checked_source(task(real), "/unused", tmp_path / "state", said) == str(real)
    assert said.lines == []


def test_the_default_source_is_the_runs_src(tmp_path: Path) -> None:
    src = folder_of(tmp_path / "src", 1)
    said = Said()
    assert checked_source(replace(task(src), source=None), str(src), tmp_path / "state", said) == str(src)
    assert said.lines == []


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    said = Said()
    assert checked_source(task(tmp_path / "file"), "/unused", tmp_path / "state", said) is None
    [(level, message)] = said.lines
    assert level == "error" and message.startswith("TASK_home_SOURCE: ")


def test_a_target_that_a_link_puts_inside_source_is_refused(tmp_path: Path) -> None:
    real = folder_of(tmp_path / "real", 1)
    (tmp_path / "link").symlink_to(real)
    said = Said()
    refused = checked_source(
        task(tmp_path / "link", f"file://{real}/backups"), "/unused", tmp_path / "state", said
    )
    assert refused is None
    assert said.lines[-1] == (
        "error",
        f"TASK_home_TARGET: its folder {real}/backups is inside TASK_home_SOURCE ({real}): each backup "
        "would back up the earlier ones again; choose a TARGET outside SOURCE",
    )


def test_a_missing_source_is_left_to_duplicity(tmp_path: Path) -> None:
    said = Said()
    assert checked_source(task(tmp_path / "missing"), "/u", tmp_path / "state", said) == str(
        tmp_path / "missing"
    )
    assert said.lines == []


@pytest.mark.parametrize(("on_shrink", "level"), [(None, "warning"), ("fail", "error")])
def test_an_emptied_source_is_judged_against_the_last_backup(
    tmp_path: Path, on_shrink: str | None, level: str
) -> None:
    empty = folder_of(tmp_path / "data", 0)
    record(tmp_path / "state", STATS)
    said = Said()
    result = checked_source(task(empty, on_shrink=on_shrink), "/u", tmp_path / "state", said)
    assert result == (None if on_shrink == "fail" else str(empty))
    [(said_level, message)] = said.lines
    assert said_level == level and message.startswith(f"SOURCE {empty} is empty; the last backup held 10")


def test_the_last_backup_is_the_newest_run_that_made_one_with_statistics(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert last_backup_stats("home", state) is None
    record(state, STATS)
    record(state, replace(STATS, source_files=99), Status.FAILED)  # failed at load: no backup
    record(state, None)  # a run without the built-in backup's statistics
    assert last_backup_stats("home", state) == STATS
