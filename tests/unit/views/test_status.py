"""What `status` shows: the JSON shapes (ISO 8601 with offset) and the text tables; the helpers here
serve the listing tests too."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duplicity_cron.config.durations import format_duration
from duplicity_cron.config.schedules import CronSchedule as Schedule
from duplicity_cron.model import RunResult, Status, Task, Trigger
from duplicity_cron.views import status

PARIS = ZoneInfo("Europe/Paris")  # +02:00 in May
NOW = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)

LISTING_KEYS = {"task", "schedule", "timezone", "next_runs", "restore", "timeout", "steps"}
STATUS_KEYS = {
    "task",
    "last_restore",
    "schedule",
    "timezone",
    "restore",
    "next_run",
    "last_run",
    "last_success",
    "recent_runs",
    "skipped_since_last_run",
    "last_skipped",
    "verify_schedule",
    "last_verify",
    "last_verified",
    "last_success_backup",
    "target",
}
RUN_KEYS = {"status", "trigger", "started", "ended", "duration", "exit_code", "failed_step"}


def scheduled(task_id: str = "nightly_db", expression: str = "0 3 * * *", zone=PARIS) -> Task:
    return Task(
        id=task_id,
        steps={"prepare": "echo p", "load": "echo l"},
        schedule=Schedule.from_crontab(expression, zone),
        timeout=3600.0,
    )


EXEC_ONLY = Task(id="adhoc", steps={"load": "echo x"})
RESTORE = Task(id="db_restore", steps={"load": "echo r"}, restore="10")


def run(
    hours_ago: float,
    status_: Status = Status.SUCCEEDED,
    trigger: Trigger = Trigger.SCHEDULE,
    tail: tuple[str, ...] = (),
    exit_code: int = 0,
    failed_step: str | None = None,
) -> RunResult:
    ended = NOW - timedelta(hours=hours_ago)
    return RunResult(
        task="nightly_db",
        status=status_,
        trigger=trigger,
        started=ended - timedelta(seconds=95),
        ended=ended,
        exit_code=exit_code,
        failed_step=failed_step,
        output_tail=tail,
    )


def assert_iso_in_zone(text: str, instant: datetime, offset: timedelta) -> None:
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == offset, text
    assert parsed == instant, text


# --- status: shape ------------------------------------------------------------------------------


def test_status_entry_without_runs() -> None:
    entry = status.status_entry(scheduled(), [], NOW, PARIS)
    assert set(entry) == STATUS_KEYS
    assert entry["last_run"] is None
    assert entry["last_success"] is None
    assert entry["recent_runs"] == []
    assert entry["timezone"] == "Europe/Paris"
    assert_iso_in_zone(entry["next_run"], datetime(2026, 5, 14, 1, 0, tzinfo=UTC), timedelta(hours=2))
    json.dumps(entry)


def test_status_entry_of_a_task_without_schedule() -> None:
    entry = status.status_entry(EXEC_ONLY, [], NOW, PARIS)
    assert set(entry) == STATUS_KEYS
    assert entry["schedule"] is None
    assert entry["next_run"] is None
    restore = status.status_entry(RESTORE, [], NOW, PARIS)
    assert restore["restore"] == "10"
    assert restore["next_run"] is None


def test_status_entry_timestamps_are_iso_8601_with_the_offset_of_the_given_zone() -> None:
    runs = [run(5), run(1, Status.FAILED, exit_code=2, failed_step="load")]
    for zone, offset in [(PARIS, timedelta(hours=2)), (UTC, timedelta(0)), (ZoneInfo("Asia/Kolkata"), None)]:
        entry = status.status_entry(scheduled(), runs, NOW, zone)
        expected = offset if offset is not None else timedelta(hours=5, minutes=30)
        assert_iso_in_zone(entry["last_success"], runs[0].ended, expected)
        assert_iso_in_zone(entry["last_run"]["started"], runs[1].started, expected)
        assert_iso_in_zone(entry["last_run"]["ended"], runs[1].ended, expected)
        for summary, original in zip(entry["recent_runs"], reversed(runs), strict=True):
            assert_iso_in_zone(summary["started"], original.started, expected)
            assert_iso_in_zone(summary["ended"], original.ended, expected)
        assert datetime.fromisoformat(entry["next_run"]).utcoffset() is not None


def test_last_run_has_the_output_tail_and_every_run_field() -> None:
    tail = ("dumping", "ERROR: disk full", "exit 2")
    runs = [run(3), run(1, Status.FAILED, Trigger.EXEC, tail=tail, exit_code=2, failed_step="load")]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    last = entry["last_run"]
    assert RUN_KEYS | {"output_tail"} <= set(last)
    assert last["output_tail"] == list(tail)
    assert last["status"] == "failed"
    assert last["trigger"] == "exec"
    assert last["exit_code"] == 2
    assert last["failed_step"] == "load"
    assert last["duration"] == pytest.approx(95.0)
    json.dumps(entry)


def test_recent_runs_are_newest_first_and_at_most_ten() -> None:
    runs = [run(hours, exit_code=index) for index, hours in enumerate(range(15, 0, -1))]  # oldest first
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    recent = entry["recent_runs"]
    assert len(recent) == 10
    assert [summary["exit_code"] for summary in recent] == list(range(14, 4, -1))
    starts = [datetime.fromisoformat(summary["started"]) for summary in recent]
    assert starts == sorted(starts, reverse=True)
    assert all(set(summary) >= RUN_KEYS for summary in recent)


def test_recent_runs_with_fewer_than_ten() -> None:
    runs = [run(3, exit_code=1), run(2, exit_code=2)]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert [summary["exit_code"] for summary in entry["recent_runs"]] == [2, 1]


def test_last_success_ignores_later_failures() -> None:
    runs = [
        run(30),
        run(20, trigger=Trigger.EXEC),
        run(10, Status.FAILED, exit_code=1),
        run(5, Status.TIMED_OUT, exit_code=124),
        run(1, Status.INTERRUPTED, exit_code=143),
    ]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert datetime.fromisoformat(entry["last_success"]) == runs[1].ended
    assert entry["last_run"]["status"] == "interrupted"


def test_never_succeeded_has_no_last_success() -> None:
    runs = [run(2, Status.FAILED, exit_code=1)]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert entry["last_success"] is None
    assert entry["last_run"]["status"] == "failed"


def test_a_skipped_run_is_not_the_last_run() -> None:
    runs = [run(3, Status.FAILED, exit_code=1, tail=("boom",)), run(1, Status.SKIPPED)]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert entry["last_run"]["status"] == "failed"
    assert entry["last_run"]["output_tail"] == ["boom"]


def test_only_skipped_runs_give_no_last_run() -> None:
    entry = status.status_entry(scheduled(), [run(2, Status.SKIPPED), run(1, Status.SKIPPED)], NOW, UTC)
    assert entry["last_run"] is None
    assert entry["last_success"] is None


# --- status: text -------------------------------------------------------------------------------


def test_status_table() -> None:
    ok = status.status_entry(scheduled(), [run(2)], NOW, UTC)
    never = status.status_entry(scheduled("photos", "0 * * * *"), [], NOW, UTC)
    adhoc = status.status_entry(EXEC_ONLY, [], NOW, UTC)
    lines = status.status_table([ok, never, adhoc]).splitlines()
    assert len(lines) == 4
    header = lines[0]
    for column in ("TASK", "SCHEDULE", "LAST RUN", "LAST SUCCESS", "NEXT RUN"):
        assert column in header
    assert lines[1].startswith("nightly_db")
    assert "succeeded" in lines[1]
    assert ok["last_success"] in lines[1]
    assert ok["next_run"] in lines[1]
    assert lines[2].startswith("photos")
    assert "never" in lines[2]
    assert lines[3].startswith("adhoc")
    assert "never" in lines[3]
    # Columns line up: every row's schedule starts where the header's SCHEDULE does.
    column = header.index("SCHEDULE")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines[1:])


def test_status_details_lists_recent_runs_and_the_last_output() -> None:
    tail = ("dumping database", "ERROR: connection refused")
    runs = [run(26), run(2, Status.FAILED, tail=tail, exit_code=3, failed_step="prepare")]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    text = status.status_details(entry)
    assert text.startswith(status.status_table([entry]))
    assert "recent runs:" in text
    lines = text.splitlines()
    failed_line = next(line for line in lines if entry["recent_runs"][0]["started"] in line)
    assert "failed" in failed_line
    assert "exit 3" in failed_line
    assert "prepare" in failed_line
    assert format_duration(95.0) in failed_line
    assert any(entry["recent_runs"][1]["started"] in line and "succeeded" in line for line in lines)
    assert lines.index(next(line for line in lines if "failed" in line and "exit 3" in line)) < lines.index(
        next(line for line in lines if "succeeded" in line and "exit 0" in line)
    )
    for line in tail:
        assert f"  {line}" in lines


def test_status_details_without_runs() -> None:
    text = status.status_details(status.status_entry(scheduled(), [], NOW, UTC))
    assert "none recorded" in text
    assert "output" not in text


# --- skipped occurrences ------------------------------------------------------------------------


def skip(hours_ago: float) -> RunResult:
    return run(hours_ago, Status.SKIPPED)


def test_skipped_occurrences_do_not_push_the_runs_out_of_the_recent_list() -> None:
    real = [run(hours, exit_code=index) for index, hours in enumerate(range(40, 28, -1))]  # 12 runs
    skips = [skip(28 - minute / 60) for minute in range(1, 16)]  # 15 skips after the last run
    entry = status.status_entry(scheduled(), real + skips, NOW, UTC)
    assert [summary["exit_code"] for summary in entry["recent_runs"]] == list(range(11, 1, -1))
    assert all(summary["status"] == "succeeded" for summary in entry["recent_runs"])
    assert entry["skipped_since_last_run"] == 15
    assert datetime.fromisoformat(entry["last_skipped"]) == skips[-1].started.replace(microsecond=0)
    json.dumps(entry)


def test_only_skips_after_the_last_run_are_counted() -> None:
    runs = [run(10), skip(9), skip(8), run(5, Status.FAILED, exit_code=2), skip(4)]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert [summary["status"] for summary in entry["recent_runs"]] == ["failed", "succeeded"]
    assert entry["skipped_since_last_run"] == 1
    no_skip_since = status.status_entry(scheduled(), runs[:-1], NOW, UTC)
    assert no_skip_since["skipped_since_last_run"] == 0
    assert no_skip_since["last_skipped"] is not None  # there were skips, before the last run
    never = status.status_entry(scheduled(), [run(1)], NOW, UTC)
    assert (never["skipped_since_last_run"], never["last_skipped"]) == (0, None)


def test_status_details_shows_skips_as_skipped_without_an_exit_code() -> None:
    runs = [run(5), skip(4), skip(3), skip(2)]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    text = status.status_details(entry)
    [skip_line] = [line for line in text.splitlines() if "skipped" in line]
    assert skip_line.startswith("  3 occurrence(s) skipped since the last run, the newest at ")
    assert entry["last_skipped"] in skip_line and "exit" not in skip_line
    assert sum("exit 0" in line for line in text.splitlines()) == 1  # the one run that ran


def test_status_details_of_only_skips() -> None:
    entry = status.status_entry(scheduled(), [skip(2), skip(1)], NOW, UTC)
    assert entry["recent_runs"] == [] and entry["skipped_since_last_run"] == 2
    text = status.status_details(entry)
    assert "2 occurrence(s) skipped" in text and "none recorded" in text and "exit" not in text


# --- control characters -------------------------------------------------------------------------

NASTY = "a\x1b[2J\x1b]0;owned\x07b\rc\x08d\x00e\x7ff\x9bg\u202eh\u2028i\tj"
SHOWN = r"a\x1b[2J\x1b]0;owned\x07b\x0dc\x08d\x00e\x7ff\x9bg\u202eh\u2028i" + "\tj"


def test_status_details_escapes_control_characters_of_the_history() -> None:
    tail = (NASTY, "two\nlines")
    runs = [run(1, Status.FAILED, tail=tail, exit_code=1, failed_step="lo\x1bad")]
    entry = status.status_entry(scheduled(), runs, NOW, UTC)
    assert entry["last_run"]["output_tail"] == list(tail)  # the JSON keeps the text as recorded
    text = status.status_details(entry)
    assert f"  {SHOWN}" in text.splitlines()
    assert r"  two\x0alines" in text.splitlines()  # one line stays one line
    assert r"at lo\x1bad" in text
    assert not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_status_table_escapes_control_characters() -> None:
    runs = [run(1, tail=(NASTY,))]
    entry = {**status.status_entry(scheduled(), runs, NOW, UTC), "task": "x\x1b[1m"}
    [_, row] = status.status_table([entry]).splitlines()
    assert row.startswith(r"x\x1b[1m  ")


def test_a_drill_s_recovery_time_in_the_json_the_table_and_the_details() -> None:
    drill = dataclasses.replace(
        run(1, trigger=Trigger.VERIFY, tail=("verified: ...; the data came back in 2.5s",)),
        recovery_seconds=2.5,
    )
    task = dataclasses.replace(scheduled(), verify=Schedule.from_crontab("0 4 * * 0", PARIS))
    entry = status.status_entry(task, [run(2), drill], NOW, PARIS)
    assert entry["last_verify"]["recovery_seconds"] == 2.5
    assert entry["last_run"]["recovery_seconds"] is None  # a backup
    assert json.loads(json.dumps(entry))["last_verify"]["recovery_seconds"] == 2.5
    assert "(data back in 2.5s)" in status.status_table([entry])
    assert "recovery time (the data back): 2.5s" in status.status_details(entry)


def test_the_last_restore_and_its_recovery_time_are_shown() -> None:
    from duplicity_cron.model import RestoreRecord

    ended = datetime(2026, 5, 14, 0, 10, tzinfo=UTC)
    entry = status.status_entry(scheduled(), [], NOW, PARIS, None, RestoreRecord(ended, True, 2.5))
    assert entry["last_restore"] == {
        "status": "succeeded", "ended": "2026-05-14T02:10:00+02:00", "recovery_seconds": 2.5,
    }  # fmt: skip
    assert ": succeeded 2026-05-14T02:10:00+02:00, the data back in 2.5s" in status.status_details(entry)
    failed = status.status_entry(scheduled(), [], NOW, PARIS, None, RestoreRecord(ended, False, None))
    details = status.status_details(failed)
    assert ": failed 2026-05-14T02:10:00+02:00" in details and "the data back" not in details
    json.dumps(entry)
