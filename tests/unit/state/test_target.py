"""What a target held, kept in the state folder: read back as written, a damaged file told, never raised."""

from __future__ import annotations

from datetime import UTC, datetime

from duplicity_cron.model import BackupChain, TargetContents
from duplicity_cron.state import target

FULL = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
INC = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
CONTENTS = TargetContents(
    datetime(2026, 11, 2, 3, 5, tzinfo=UTC),
    (BackupChain(FULL, (INC,), 2, True),),
    orphaned_sets=1,
    set_bytes={FULL: 123456, INC: 789},
)


def test_written_then_read_back(tmp_path):
    target.write(tmp_path, "home", CONTENTS)
    assert target.read(tmp_path, "home") == (CONTENTS, None)
    assert (target.path(tmp_path, "home").stat().st_mode & 0o777) == 0o600


def test_none_read_yet(tmp_path):
    assert target.read(tmp_path, "home") == (None, None)


def test_a_damaged_file_is_a_problem_not_an_exception(tmp_path):
    where = target.path(tmp_path, "home")
    for text in ("{not json", '{"read_at": "2026-11-02T03:05:00", "chains": []}', '{"chains": 3}', "[]"):
        where.parent.mkdir(exist_ok=True)
        where.write_text(text)
        contents, problem = target.read(tmp_path, "home")
        assert contents is None and problem is not None and str(where) in problem


def test_a_file_of_an_older_version_has_no_set_sizes(tmp_path):
    where = target.path(tmp_path, "home")
    where.parent.mkdir()
    where.write_text(
        '{"read_at": "2026-11-02T03:05:00+00:00", "chains": [], "orphaned_sets": 0, "incomplete_sets": 0}'
    )
    found, problem = target.read(tmp_path, "home")
    assert problem is None and found is not None and found.set_bytes == {} and found.size_bytes == 0
