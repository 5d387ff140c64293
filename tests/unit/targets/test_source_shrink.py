"""SOURCE's shrink check: an empty SOURCE (first backup or not), a loss of entries or bytes past
SHRINK_LIMIT, what ON_SHRINK makes of it, and what never counts as a loss."""

from __future__ import annotations

from dataclasses import replace

import pytest

from duplicity_cron.model import BackupStats, Task
from duplicity_cron.targets.source_shrink import lost_share, shrink_finding
from duplicity_cron.targets.verification import TreeSize

LAST = BackupStats(
    source_files=101, source_bytes=1_000_000 + 4096, new_files=0, new_bytes=0, changed_files=0,
    changed_bytes=0, deleted_files=0, raw_delta_bytes=0, destination_change_bytes=0, errors=0,
    elapsed=1.0, file_bytes=1_000_000,
)  # fmt: skip
TASK = Task(id="home", steps={}, target="file:///b")
EMPTY = TreeSize(1, 4096, 4096)


def tree(entries: int, file_bytes: int) -> TreeSize:
    return TreeSize(entries, file_bytes + 4096, 4096)


def test_an_empty_source_is_a_warning_after_a_backup_and_on_the_first() -> None:
    after = shrink_finding(TASK, "/data", EMPTY, LAST)
    assert after is not None and not after.fails
    assert after.message.startswith("SOURCE /data is empty; the last backup held 100 entries")
    assert "backing it up all the same (TASK_home_ON_SHRINK=fail refuses)" in after.message
    first = shrink_finding(TASK, "/data", EMPTY, None)
    assert first is not None and not first.fails
    assert "SOURCE /data is empty: the first backup of this task would hold nothing" in first.message


def test_an_empty_source_is_a_finding_whatever_the_limit() -> None:
    assert shrink_finding(replace(TASK, shrink_limit=100), "/d", EMPTY, LAST) is not None


@pytest.mark.parametrize(
    ("now", "share"),
    [
        (tree(101, 1_000_000), 0.0),
        (tree(200, 2_000_000), 0.0),  # grown: no loss
        (tree(51, 1_000_000), 0.5),  # half the entries gone
        (tree(101, 400_000), 0.6),  # 60 % of the bytes gone
        (tree(11, 100_000), 0.9),
    ],
)
def test_the_loss_is_the_larger_of_entries_and_bytes(now: TreeSize, share: float) -> None:
    assert lost_share(now, LAST) == pytest.approx(share, abs=0.01)


def test_without_file_bytes_the_totals_are_compared() -> None:
    older = replace(LAST, file_bytes=None)
    assert lost_share(TreeSize(101, 500_000 + 2048, 4096), older) == pytest.approx(0.5, abs=0.01)


def test_a_loss_past_the_limit_is_a_finding_and_at_the_limit_none() -> None:
    assert shrink_finding(TASK, "/d", tree(51, 1_000_000), LAST) is None  # 50 %: not more than 50 %
    found = shrink_finding(TASK, "/d", tree(41, 1_000_000), LAST)
    assert found is not None and not found.fails
    assert found.message.startswith(
        "SOURCE /d shrank by 59% since the last backup (TASK_home_SHRINK_LIMIT is 50%): "
        "41 entries and 1004096 bytes now, 101 entries and 1004096 bytes then"
    )
    assert shrink_finding(replace(TASK, shrink_limit=60), "/d", tree(41, 1_000_000), LAST) is None
    assert shrink_finding(replace(TASK, shrink_limit=10), "/d", tree(90, 1_000_000), LAST) is not None


def test_on_shrink_fail_fails_before_the_backup() -> None:
    found = shrink_finding(replace(TASK, on_shrink="fail"), "/d", tree(11, 10), LAST)
    assert found is not None and found.fails
    assert "no backup made (TASK_home_ON_SHRINK=fail): mend SOURCE, or run once with" in found.message
    empty_first = shrink_finding(replace(TASK, on_shrink="fail"), "/d", EMPTY, None)
    assert empty_first is not None and empty_first.fails


def test_no_history_and_a_full_source_say_nothing() -> None:
    assert shrink_finding(TASK, "/d", tree(2, 0), None) is None
    assert (
        shrink_finding(TASK, "/d", tree(2, 0), replace(LAST, source_files=0, source_bytes=0, file_bytes=0))
        is None
    )
