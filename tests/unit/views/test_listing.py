"""What `list` shows: each task's schedule, time zone and next due times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from duplicity_cron.views import listing

from .test_status import EXEC_ONLY, LISTING_KEYS, NOW, RESTORE, assert_iso_in_zone, scheduled


def test_listing_entry_shape() -> None:
    entry = listing.listing_entry(scheduled(), NOW)
    assert set(entry) == LISTING_KEYS
    assert entry["task"] == "nightly_db"
    assert entry["timezone"] == "Europe/Paris"
    assert entry["timeout"] == 3600.0
    assert "0 3 * * *" in entry["schedule"]
    assert entry["restore"] is None
    assert set(entry["steps"]) == {"prepare", "load"}
    json.dumps(entry)


def test_listing_entry_next_runs_are_iso_with_offset() -> None:
    entry = listing.listing_entry(scheduled(), NOW, count=3)
    expected = [datetime(2026, 5, day, 1, 0, tzinfo=UTC) for day in (14, 15, 16)]  # 03:00 Paris
    assert len(entry["next_runs"]) == 3
    for text, instant in zip(entry["next_runs"], expected, strict=True):
        assert_iso_in_zone(text, instant, timedelta(hours=2))


def test_listing_entry_of_an_exec_only_and_a_restore_task() -> None:
    adhoc = listing.listing_entry(EXEC_ONLY, NOW)
    assert set(adhoc) == LISTING_KEYS
    assert adhoc["schedule"] is None
    assert adhoc["timezone"] is None
    assert adhoc["next_runs"] == []
    restore = listing.listing_entry(RESTORE, NOW)
    assert restore["restore"] == "10"
    assert restore["next_runs"] == []


def test_list_table() -> None:
    entries = [listing.listing_entry(task, NOW) for task in (scheduled(), EXEC_ONLY, RESTORE)]
    text = listing.list_table(entries)
    lines = text.splitlines()
    assert lines[0].split() == ["TASK", "SCHEDULE", "NEXT", "RUNS"]
    assert len(lines) == 4
    assert lines[1].startswith("nightly_db")
    assert "Europe/Paris" in lines[1]
    assert entries[0]["next_runs"][0] in lines[1]
    assert lines[2].startswith("adhoc")
    assert "exec only" in lines[2]
    assert lines[3].startswith("db_restore")
    assert "restore" in lines[3]


def test_listing_shows_the_built_in_steps_of_a_task_with_target_in_run_order() -> None:
    from duplicity_cron.config import parse_config

    env = {
        "TASK_h_TARGET": "file:///b",
        "TASK_h_KEEP_FULL": "2",
        "TASK_h_FINALLY": "true",
        "PASSPHRASE": "pw",
    }
    entry = listing.listing_entry(parse_config(env).tasks["h"], NOW)
    assert entry["steps"] == ["load", "retention", "finally"]
