"""A damaged run history: a file where a history folder should be, records that cannot be used; the
problems are told (for `status` and `healthcheck`), the readable records still count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duplicity_cron.model import LastRuns
from duplicity_cron.state import history

from .test_history import START, TASK, result


def test_read_history_of_an_intact_history_has_no_problem(tmp_path: Path) -> None:
    history.record(tmp_path, result(1))
    assert history.read_history(tmp_path, TASK) == history.History([result(1)], [])
    assert history.read_history(tmp_path / "missing", TASK) == history.History([], [])


@pytest.mark.parametrize("blocked", ["state", "state/runs", f"state/runs/{TASK}"])
def test_a_file_where_a_history_folder_should_be_is_a_problem_not_an_error(
    tmp_path: Path, blocked: str
) -> None:
    (tmp_path / blocked).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / blocked).write_text("not a folder")
    read = history.read_history(tmp_path / "state", TASK)
    assert read.runs == []
    assert read.problems == [
        f"task {TASK}: its run history cannot be read: {tmp_path / blocked} is not a folder"
    ]
    assert history.load_runs(tmp_path / "state", TASK) == []
    assert history.latest(tmp_path / "state", TASK) == LastRuns(None, None, None)


NAIVE = {
    "task": TASK, "status": "succeeded", "trigger": "schedule", "started": "2026-05-13T10:20:00",
    "ended": "2026-05-13T10:21:00", "exit_code": 0,
}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (NAIVE, "started 2026-05-13T10:20:00 has no UTC offset"),
        ({**NAIVE, "started": "2026-05-13T10:20:00+00:00"}, "ended 2026-05-13T10:21:00 has no UTC offset"),
        ({**NAIVE, "started": "0001-01-01T00:10:00+01:00", "ended": START.isoformat()}, "out of range"),
        ({**NAIVE, "started": START.isoformat(), "ended": "9999-12-31T23:00:00-05:00"}, "out of range"),
        ({**NAIVE, "started": START.isoformat(), "ended": START.isoformat(), "task": 3}, "not text"),
    ],
)
def test_records_with_dates_that_cannot_be_judged_are_passed_over(
    tmp_path: Path, data: dict[str, object], why: str
) -> None:
    """A naive date would break the sorting (aware and naive do not compare) and every age."""
    history.record(tmp_path, result(1))
    bad = history.runs_dir(tmp_path, TASK) / "20260513T103000.000000Z-1-1.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    read = history.read_history(tmp_path, TASK)
    assert read.runs == [result(1)]
    [problem] = read.problems
    assert problem.startswith(f"task {TASK}: 1 unreadable run record(s) in {bad.parent} passed over")
    assert f"{bad.name} (" in problem and why in problem
    assert history.latest(tmp_path, TASK).success == result(1)


def test_many_unreadable_records_are_counted_and_a_few_named(tmp_path: Path) -> None:
    folder = history.runs_dir(tmp_path, TASK)
    folder.mkdir(parents=True)
    for index in range(5):
        (folder / f"2026051{index}T000000.000000Z-1-1.json").write_text("{")
    [problem] = history.read_history(tmp_path, TASK).problems
    assert "5 unreadable run record(s)" in problem
    assert problem.count("not JSON") == 3 and problem.endswith("; ...")
