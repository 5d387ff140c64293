from __future__ import annotations

from datetime import UTC, datetime

from duplicity_cron.model import BackupChain, TargetContents
from duplicity_cron.targets.restore_time import time_of, time_problem

NOW = datetime(2026, 12, 10, 12, 0, 0, tzinfo=UTC)
FULL = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
HOLDS = TargetContents(NOW, (BackupChain(FULL, (), 3, True),))


def test_time_of_reads_duplicity_s_forms() -> None:
    assert time_of("now", NOW) == NOW
    assert time_of("1D12h", NOW) == datetime(2026, 12, 9, 0, 0, 0, tzinfo=UTC)
    assert time_of("1M", NOW) == datetime(2026, 11, 10, 12, 0, 0, tzinfo=UTC)  # 30 days, as duplicity
    assert time_of("20261201T020000Z", NOW) == FULL
    assert time_of("2026-12-01T03:00:00+01:00", NOW) == FULL
    assert time_of(str(int(FULL.timestamp())), NOW) == FULL
    assert time_of("2026-12-01", NOW) == datetime(2026, 12, 1).astimezone()  # local midnight
    assert time_of("next tuesday", NOW) is None


def test_a_time_before_the_first_backup_or_an_empty_target_is_refused() -> None:
    assert time_problem("2001-01-01", NOW, HOLDS) == (
        "--time 2001-01-01 is before the first backup the target holds (2026-12-01T02:00:00+00:00): "
        "give a later time"
    )
    assert time_problem("20261201T020000Z", NOW, HOLDS) is None  # the first backup itself
    assert time_problem("1D", NOW, HOLDS) is None
    assert time_problem("now", NOW, TargetContents(NOW, ())) == (
        "the target holds no backup: check TARGET, or run a backup first"
    )
