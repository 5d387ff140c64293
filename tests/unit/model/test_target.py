"""The size of what a target holds: the sizes of its sets carried from one reading to the next, the
newest set given what its backup wrote, and no total while one set's size is unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from duplicity_cron.model import BackupChain, TargetContents
from duplicity_cron.model.target import with_set_bytes

DAY = timedelta(days=1)
FULL = datetime(2026, 11, 1, 3, 0, 5, tzinfo=UTC)


def contents(*chains: tuple[datetime, ...]) -> TargetContents:
    return TargetContents(FULL + 30 * DAY, tuple(BackupChain(c[0], c[1:], 1, False) for c in chains))


def test_a_backup_gives_the_newest_set_its_size() -> None:
    found = with_set_bytes(contents((FULL,)), None, (FULL - timedelta(seconds=1), 1000))
    assert found.set_bytes == {FULL: 1000} and found.size_bytes == 1000 and found.unknown_sets == 0


def test_sizes_carry_over_and_add_up_over_a_chain() -> None:
    first = with_set_bytes(contents((FULL,)), None, (FULL, 1000))
    second = with_set_bytes(contents((FULL, FULL + DAY)), first, (FULL + DAY, 30))
    assert second.size_bytes == 1030
    assert second.set_times == (FULL, FULL + DAY)


def test_retention_takes_the_removed_chains_size_away() -> None:
    first = with_set_bytes(contents((FULL, FULL + DAY)), None, None)
    assert first.size_bytes is None and first.unknown_sets == 2  # made before the sizes were kept
    known = contents((FULL, FULL + DAY))
    known = with_set_bytes(known, TargetContents(FULL, (), set_bytes={FULL: 1000, FULL + DAY: 30}), None)
    assert known.size_bytes == 1030
    new_full = FULL + 2 * DAY
    after = with_set_bytes(contents((new_full,)), known, (new_full, 900))  # the old chain removed
    assert after.set_bytes == {new_full: 900} and after.size_bytes == 900


def test_a_set_older_than_the_backup_is_not_its_set() -> None:
    """A backup that wrote nothing new (it failed after the stats, or another process's set is newest)
    gives no set a size."""
    found = with_set_bytes(contents((FULL,)), None, (FULL + timedelta(minutes=1), 1000))
    assert found.set_bytes == {} and found.size_bytes is None and found.unknown_sets == 1


def test_an_empty_target_holds_nothing() -> None:
    empty = with_set_bytes(contents(), None, (FULL, 5))
    assert empty.size_bytes == 0 and empty.set_bytes == {}
