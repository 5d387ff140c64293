"""What `status` shows of a target and of a backup's statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from duplicity_cron.model import BackupChain, BackupStats, RunResult, Status, TargetContents, Task, Trigger
from duplicity_cron.views import status
from duplicity_cron.views.contents import contents_json, contents_line, format_bytes, stats_line

PARIS = ZoneInfo("Europe/Paris")
FIRST = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
SECOND = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
INCS = (datetime(2026, 11, 9, 2, 0, tzinfo=UTC), datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
READ = datetime(2026, 11, 10, 2, 1, tzinfo=UTC)
CONTENTS = TargetContents(READ, (BackupChain(FIRST, (), 1, False), BackupChain(SECOND, INCS, 3, True)))
STATS = BackupStats(5, 108199, 2, 100, 1, 11, 0, 100006, 100771, 0, 0.49)


def test_the_json_gives_the_newest_chain_first_and_every_chain():
    shape = contents_json(CONTENTS, PARIS)
    assert shape["chain_count"] == 2
    assert shape["last_full"] == "2026-11-08T03:00:00+01:00"
    assert shape["incrementals_since_last_full"] == 2
    assert shape["last_backup"] == "2026-11-10T03:00:00+01:00"
    assert shape["oldest_restorable"] == "2026-11-01T03:00:00+01:00"
    assert shape["read_at"] == "2026-11-10T03:01:00+01:00"
    assert [chain["incrementals"] for chain in shape["chains"]] == [0, 2]
    assert [chain["primary"] for chain in shape["chains"]] == [False, True]


def test_one_line_of_text():
    assert contents_line(CONTENTS) == (
        "2 chain(s), last full 2026-11-08T02:00:00+00:00 with 2 incremental(s) since, "
        "oldest restorable 2026-11-01T02:00:00+00:00"
    )
    empty = TargetContents(READ, (), orphaned_sets=1, incomplete_sets=2)
    assert contents_line(empty) == (
        "no backup chain (1 orphaned set(s), 2 incomplete set(s): `cleanup` removes them)"
    )


def test_statistics_in_one_line():
    assert (
        stats_line(STATS)
        == "5 files (105.7 KiB): 2 new, 1 changed, 0 deleted; +98.4 KiB at the target; 0 errors"
    )
    assert format_bytes(-2048) == "-2.0 KiB" and format_bytes(12) == "12 B"


def test_status_shows_the_target_and_the_last_successful_backup():
    task = Task(id="home", steps={}, target="file:///backups")
    ok = RunResult("home", Status.SUCCEEDED, Trigger.EXEC, FIRST, FIRST, backup=STATS)
    failed = RunResult("home", Status.FAILED, Trigger.EXEC, SECOND, SECOND, exit_code=50, failed_step="load")
    entry = status.status_entry(task, [ok, failed], READ, PARIS, CONTENTS)
    assert entry["target"] == contents_json(CONTENTS, PARIS)
    assert entry["last_success_backup"] == STATS.to_dict()
    assert entry["last_run"]["backup"] is None  # the failed run made no backup
    text = status.status_details(entry)
    assert "target (read 2026-11-10T03:01:00+01:00): 2 chain(s)" in text
    assert "last successful backup: 5 files (105.7 KiB)" in text
    bare = status.status_entry(Task(id="t", steps={"load": "true"}), [], READ, PARIS)
    assert bare["target"] is None and bare["last_success_backup"] is None
    assert "target" not in status.status_details(bare)
