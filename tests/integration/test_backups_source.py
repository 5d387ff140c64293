"""SOURCE as the built-in backup finds it, with real duplicity on file:// targets: a link to a folder
is followed (a restore gives back the folder's content byte for byte), anything but a folder fails the
run before duplicity, a SOURCE that emptied or shrank is a warning (or with ON_SHRINK=fail a failure
before anything is written), and a file:// TARGET inside SOURCE is refused."""

from __future__ import annotations

import pytest

from duplicity_cron.state import history

from .backups import backup_env, places
from .test_backups import restored_path
from .test_duplicity_roundtrip import make_tree, tree_digest

pytestmark = pytest.mark.slow


def test_a_source_given_as_a_link_is_followed_and_restored_byte_for_byte(cli, tmp_path):
    where = places(tmp_path)
    real = tmp_path / "volume"
    make_tree(real)
    where.data.rmdir()
    where.data.symlink_to(real)
    env = backup_env(where)
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert f"SOURCE {where.data} is a symbolic link to {real} (or lies under one): backing up {real}" in (
        result.output
    )
    restored = cli("restore", "home", env=env, timeout=300)
    assert restored.returncode == 0, restored.output
    folder = restored_path(restored)
    assert folder.is_dir() and not folder.is_symlink()  # the folder, not a link to the live one
    assert tree_digest(folder) == tree_digest(real)  # its content, byte for byte
    drill = cli("verify", "home", env=env, timeout=300)
    assert drill.returncode == 0, drill.output


def test_a_source_that_is_a_file_is_refused_by_check_and_fails_a_run_before_duplicity(cli, tmp_path):
    where = places(tmp_path)
    where.data.rmdir()
    where.data.write_text("a file\n")
    env = backup_env(where)
    line = f"TASK_home_SOURCE: {where.data} is a file, not a folder; SOURCE must be a folder"
    checked = cli("check", env=env)
    assert checked.returncode == 2 and line in checked.stderr, checked.output

    # At start-up it does not exist yet (not judged then); PREPARE makes it a file: the run fails.
    where.data.unlink()
    env["TASK_home_PREPARE"] = f"echo text > {where.data}"
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 1, result.output
    assert line in result.output
    assert not where.target.exists()  # nothing written, not even the folder
    [run] = history.load_runs(tmp_path / "state", "home")
    assert run.failed_step == "load" and any(line in each for each in run.output_tail)


def test_an_emptied_source_is_a_warning_and_with_on_shrink_fail_nothing_is_written(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where)
    first = cli("exec", "home", env=env, timeout=300)  # the first backup, of an empty folder
    assert first.returncode == 0, first.output
    assert f"SOURCE {where.data} is empty: the first backup of this task would hold nothing" in first.output

    for number in range(10):
        (where.data / f"file-{number}").write_text("content " * 100)
    filled = cli("exec", "home", env=env, timeout=300)
    assert filled.returncode == 0 and "SOURCE" not in filled.output, filled.output
    for number in range(4, 10):  # 6 of 11 entries, 60 % of the file bytes gone: past the default 50 %
        (where.data / f"file-{number}").unlink()
    shrunk = cli("exec", "home", env=env, timeout=300)
    assert shrunk.returncode == 0, shrunk.output
    assert f"SOURCE {where.data} shrank by 60% since the last backup (TASK_home_SHRINK_LIMIT is 50%)" in (
        shrunk.output
    )

    for path in where.data.iterdir():  # the mount did not come up
        path.unlink()
    before = sorted(path.name for path in where.target.iterdir())
    refused = cli("exec", "home", env={**env, "TASK_home_ON_SHRINK": "fail"}, timeout=300)
    assert refused.returncode == 1, refused.output
    message = f"SOURCE {where.data} is empty; the last backup held 4 entries"
    assert message in refused.output and "no backup made (TASK_home_ON_SHRINK=fail)" in refused.output
    assert sorted(path.name for path in where.target.iterdir()) == before  # nothing written
    runs = history.load_runs(tmp_path / "state", "home")
    assert [run.status.value for run in runs] == ["succeeded"] * 3 + ["failed"]
    assert any(message in line for line in runs[-1].output_tail)  # the notifications carry it
    assert any("shrank by 60%" in line for line in runs[-2].output_tail)


def test_a_target_inside_source_is_refused_and_a_link_cannot_hide_it(cli, tmp_path):
    where = places(tmp_path)
    (where.data / "file").write_text("x\n")
    inside = backup_env(where)
    inside["TASK_home_TARGET"] = f"file://{where.data}/backups"
    checked = cli("check", env=inside)
    assert checked.returncode == 2, checked.output
    assert f"TASK_home_TARGET: its folder {where.data}/backups is inside TASK_home_SOURCE" in checked.stderr

    # Through a link, the paths as written are apart: the run resolves them and refuses.
    (tmp_path / "link").symlink_to(where.data)
    linked = {**inside, "TASK_home_SOURCE": str(tmp_path / "link")}
    assert cli("check", env=linked).returncode == 0
    result = cli("exec", "home", env=linked, timeout=300)
    assert result.returncode == 1, result.output
    assert f"TASK_home_TARGET: its folder {where.data}/backups is inside TASK_home_SOURCE" in result.output
    assert not (where.data / "backups").exists()
