"""Retention after the built-in backup, with real duplicity: KEEP_FULL leaves exactly the newest N
chains, KEEP removes the older chains but never the one the newest backup belongs to (duplicity's own
rule: a set that a newer set depends on stays), and a failing retention fails the run at its own step.

The older chains are made by duplicity itself, dated in the past with its `--current-time`."""

from __future__ import annotations

import time

import pytest

from .backups import backup_env, chains, duplicity, places

pytestmark = pytest.mark.slow
DAY = 86400


def old_chains(where, *ages_in_days: tuple[int, ...]) -> None:
    """One chain per tuple: a full backup that many days ago, then an incremental at each later age."""
    now = int(time.time())
    (where.data / "file").write_text("version 0\n")
    for chain in ages_in_days:
        for index, age in enumerate(chain):
            (where.data / "file").write_text(f"{age} days ago\n")
            command = "full" if index == 0 else "incremental"
            duplicity(command, str(where.data), where.url, where=where, current_time=now - age * DAY)


def test_keep_full_leaves_the_newest_n_chains(cli, tmp_path):
    where = places(tmp_path)
    old_chains(where, (30,), (20,), (10, 9))
    before = chains(where.target)
    assert len(before) == 3
    oldest, middle, newest = sorted(before)

    (where.data / "file").write_text("today\n")
    result = cli("exec", "home", env=backup_env(where, KEEP_FULL="2"), timeout=300)
    assert result.returncode == 0, result.output
    assert "[home/retention]" in result.stdout
    after = chains(where.target)
    assert sorted(after) == [middle, newest]
    # today's backup is an incremental of the newest chain (its full is younger than FULL_EVERY, 1M)
    assert after[newest][:-1] == before[newest] and len(after[newest]) == 2
    assert not list(where.target.glob(f"*{oldest}*"))


def test_keep_removes_older_chains_but_never_the_one_of_the_newest_backup(cli, tmp_path):
    where = places(tmp_path)
    old_chains(where, (40, 38), (10, 6))
    older, current = sorted(chains(where.target))

    (where.data / "file").write_text("today\n")
    # KEEP=3D: both chains began more than 3 days ago, but today's incremental needs the current one
    result = cli("exec", "home", env=backup_env(where, KEEP="3D"), timeout=300)
    assert result.returncode == 0, result.output
    after = chains(where.target)
    assert list(after) == [current]
    assert len(after[current]) == 2  # the incremental of 6 days ago and today's
    assert not list(where.target.glob(f"*{older}*"))


def test_keep_and_keep_full_together_after_a_new_full(cli, tmp_path):
    where = places(tmp_path)
    old_chains(where, (50,), (20,), (5,))
    before = sorted(chains(where.target))
    # FULL_EVERY=3D: the newest full is 5 days old, so today's backup starts a chain of its own
    env = backup_env(where, FULL_EVERY="3D", KEEP_FULL="2", KEEP="30D")
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    after = sorted(chains(where.target))
    assert len(after) == 2
    assert after[0] == before[-1] and after[1] not in before  # the 5-day chain and today's full


def test_a_failing_retention_fails_the_run_at_step_retention(cli, tmp_path):
    """An own LOAD replaces the built-in backup, retention still runs on TARGET; here TARGET cannot be
    listed (its parent is a file), and OPTIONS' --num-retries 1 wins over the runner's 3 attempts."""
    (tmp_path / "a-file").write_text("not a folder\n")
    env = {
        "PASSPHRASE": "unused-passphrase",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TASK_home_TARGET": f"file://{tmp_path}/a-file/target",
        "TASK_home_LOAD": "echo my own load",
        "TASK_home_KEEP_FULL": "1",
        "TASK_home_OPTIONS": "--num-retries 1 --backend-retry-delay 1",
        "TASK_home_SUCCEED": "echo succeed ran",
        "TASK_home_FAILED": 'echo "failed at $RUN_FAILED_STEP with $RUN_EXIT_CODE"',
    }
    result = cli("exec", "home", env=env, timeout=120)
    assert result.returncode == 1
    assert "[home/load] my own load" in result.stdout
    assert "Giving up after 1 attempts" in result.stdout
    assert "Attempt of list Nr. 1 failed" not in result.stdout
    assert "[home/failed] failed at retention with 50" in result.stdout
    assert "succeed ran" not in result.stdout
    assert result.stdout.splitlines()[-1].endswith("(exit code 50, failed step retention)")
