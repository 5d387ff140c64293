"""The statistics block of duplicity 3.2.1, as printed after a backup (copied from a real run)."""

from __future__ import annotations

import pytest

from duplicity_cron.model import BackupStats
from duplicity_cron.targets.statistics import read_statistics

BLOCK = """\
No signatures found, switching to full backup.
--------------[ Backup Statistics ]--------------
StartTime 1796131334.99 (Tue Dec  1 13:22:14 2026)
EndTime 1796131335.48 (Tue Dec  1 13:22:15 2026)
ElapsedTime 0.49 (0.49 seconds)
SourceFiles 5
SourceFileSize 108199 (106 KB)
NewFiles 5
NewFileSize 108199 (106 KB)
DeletedFiles 0
ChangedFiles 1
ChangedFileSize 11 (11 bytes)
ChangedDeltaSize 0 (0 bytes)
DeltaEntries 5
RawDeltaSize 100006 (97.7 KB)
TotalDestinationSizeChange 100771 (98.4 KB)
Errors 2
-------------------------------------------------
""".splitlines()


def test_the_block_is_read():
    assert read_statistics(BLOCK) == BackupStats(
        source_files=5,
        source_bytes=108199,
        new_files=5,
        new_bytes=108199,
        changed_files=1,
        changed_bytes=11,
        deleted_files=0,
        raw_delta_bytes=100006,
        destination_change_bytes=100771,
        errors=2,
        elapsed=0.49,
    )


def test_no_block_no_statistics():
    assert read_statistics(["Duplicity backup complete.", "SourceFiles 5"]) is None


@pytest.mark.parametrize("drop", ["SourceFiles", "Errors", "-------"])
def test_an_incomplete_block_is_no_statistics(drop):
    assert read_statistics([line for line in BLOCK if not line.startswith(drop)]) is None


def test_a_value_that_is_no_number_spoils_the_block():
    lines = [("SourceFiles many" if line.startswith("SourceFiles") else line) for line in BLOCK]
    assert read_statistics(lines) is None


def test_the_last_complete_block_wins():
    second = [line.replace("SourceFiles 5", "SourceFiles 7") for line in BLOCK]
    stats = read_statistics(BLOCK + second)
    assert stats is not None and stats.source_files == 7


def test_a_result_keeps_its_statistics_through_a_record():
    from datetime import UTC, datetime

    from duplicity_cron.model import RunResult, Status, Trigger

    stats = read_statistics(BLOCK)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    result = RunResult("home", Status.SUCCEEDED, Trigger.SCHEDULE, now, now, backup=stats)
    assert RunResult.from_dict(result.to_dict()) == result
    assert RunResult.from_dict({**result.to_dict(), "backup": None}).backup is None
    with pytest.raises(TypeError):
        RunResult.from_dict({**result.to_dict(), "backup": {**stats.to_dict(), "errors": "2"}})
