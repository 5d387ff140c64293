"""The last `restore TASK` of each task in the state folder: written and read back, none before the
first, a damaged file one problem line (status shows the rest)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from duplicity_cron.model import RestoreRecord
from duplicity_cron.state import restores


def test_written_then_read_back(tmp_path: Path) -> None:
    assert restores.read(tmp_path, "home") == (None, None)
    record = RestoreRecord(datetime(2026, 12, 7, 13, 0, tzinfo=UTC), True, 3.25)
    restores.write(tmp_path, "home", record)
    assert restores.read(tmp_path, "home") == (record, None)
    failed = RestoreRecord(datetime(2026, 12, 7, 14, 0, tzinfo=UTC), False, None)
    restores.write(tmp_path, "home", failed)
    assert restores.read(tmp_path, "home") == (failed, None)


def test_a_damaged_record_is_one_problem(tmp_path: Path) -> None:
    restores.path(tmp_path, "home").parent.mkdir(parents=True)
    for damaged in ('{"ended": "2026-12-07T13:00:00", "succeeded": true}', '{"succeeded": "yes"}', "[", ""):
        restores.path(tmp_path, "home").write_text(damaged)
        record, problem = restores.read(tmp_path, "home")
        assert record is None
        assert problem is not None and problem.startswith("task home: its last restore cannot be read from ")


def test_a_state_folder_that_is_a_file_holds_no_record(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert restores.read(blocker / "state", "home") == (None, None)
