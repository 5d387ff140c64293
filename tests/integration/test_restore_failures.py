"""`restore TASK` when it cannot restore, with real duplicity and gpg on file:// targets: every case
ends on one line saying what is wrong (exit 1 failed, 2 refused), and nothing half-made is left where
the user looks."""

from __future__ import annotations

import shutil

import pytest

from .backups import places
from .full_disk import on_a_full_disk
from .test_backups import two_backups  # noqa: F401 - the module's fixture, shared

pytestmark = pytest.mark.slow


def last_line(result) -> str:
    return result.stdout.splitlines()[-1]


def test_a_time_before_the_first_backup_is_refused_and_leaves_no_folder(cli, two_backups, work_dir):  # noqa: F811
    _where, env, *_ = two_backups
    result = cli("restore", "home", "--time", "2001-01-01", env=env, timeout=300)
    assert result.returncode == 2, result.output
    assert "restore refused: --time 2001-01-01 is before the first backup the target holds (" in last_line(
        result
    )
    assert last_line(result).endswith("give a later time; nothing was restored")
    assert list((work_dir / "home" / "restores").iterdir()) == []


def test_an_empty_target_is_one_line_not_a_traceback(cli, tmp_path, work_dir):
    where = places(tmp_path)
    where.target.mkdir()
    env = {"PASSPHRASE": "x" * 20, "XDG_CACHE_HOME": str(where.cache), "TASK_home_TARGET": where.url}
    result = cli("restore", "home", env=env, timeout=300)
    assert result.returncode == 1, result.output
    assert last_line(result).endswith(
        "restore failed: the target holds no backup: check TARGET, or run a backup first "
        "(duplicity exit code 30)"
    )
    assert list((work_dir / "home" / "restores").iterdir()) == []
    timed = cli("restore", "home", "--time", "1D", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert timed.returncode == 2, timed.output  # refused before duplicity restores anything
    assert "restore refused: the target holds no backup" in last_line(timed)
    assert not (tmp_path / "r").exists()


def test_a_path_not_in_the_backup_leaves_no_to_folder(cli, two_backups, tmp_path):  # noqa: F811
    _where, env, *_ = two_backups
    result = cli("restore", "home", "--path", "nope", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert result.returncode == 1, result.output
    assert last_line(result).endswith(
        "restore failed: nope is not in the backup: check --path (relative to SOURCE) "
        "(duplicity exit code 19)"
    )
    assert not (tmp_path / "r").exists()


def test_a_damaged_cache_is_rebuilt_from_the_target_once(cli, two_backups, tmp_path):  # noqa: F811
    where, env, *_ = two_backups
    cache = tmp_path / "cache"
    shutil.copytree(where.cache, cache, symlinks=True)
    [manifest] = (cache / "duplicity" / "home").glob("duplicity-full.*.manifest")
    text = manifest.read_text(errors="surrogateescape")
    manifest.write_text(text.replace("Hash SHA1 ", "Hash SHA1 0000", 1), errors="surrogateescape")
    result = cli(
        "restore", "home", "--to", str(tmp_path / "r"), env={**env, "XDG_CACHE_HOME": str(cache)}, timeout=300
    )
    assert result.returncode == 0, result.output
    assert "restoring once more with duplicity's cache rebuilt from the target" in result.stdout
    assert (cache / "duplicity" / "home.damaged").is_dir()
    assert (tmp_path / "r" / "db" / "dump.sql").read_text() == "changed\n"


def test_leftovers_of_a_killed_restore_are_removed_by_the_next_one(cli, two_backups, tmp_path, work_dir):  # noqa: F811
    """What `kill -9` of a restore leaves: its note, a half-made fresh folder, a staging folder in --to."""
    _where, env, *_ = two_backups
    half = work_dir / "home" / "restores" / "20260101T000000Z"
    staging = tmp_path / "mine" / ".restore-abc"
    for folder in (half / "db", staging):
        folder.mkdir(parents=True)
    (tmp_path / "mine" / "keep").write_text("the user's")
    (work_dir / "home" / "restore-unfinished").write_text(f"{half}\n{staging}\n")
    result = cli("restore", "home", "--path", "db", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert f"removed what an interrupted restore left: {half}, {staging}" in result.stdout
    assert not half.exists() and not staging.exists()
    assert (tmp_path / "mine" / "keep").read_text() == "the user's"
    assert not (work_dir / "home" / "restore-unfinished").exists()


def test_a_restore_onto_a_full_disk_is_stopped_by_conf_restore_timeout(two_backups, tmp_path, work_dir):  # noqa: F811
    _where, env, *_ = two_backups
    full = tmp_path / "full"
    result = on_a_full_disk(
        full,
        work_dir,
        ["restore", "home", "--to", str(full / "r")],
        env={**env, "CONF_RESTORE_TIMEOUT": "20s"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # duplicity 3.2.1 hangs on a full disk: without the bound this test never ends
    assert result.stdout.splitlines()[-1].endswith(
        "restore failed: timed out after 20s (CONF_RESTORE_TIMEOUT); it was stopped"
    )
