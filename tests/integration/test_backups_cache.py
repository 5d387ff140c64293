"""What the target holds, read from duplicity's local cache after a built-in backup instead of a second
`duplicity collection-status` process (`targets.archive_cache`): for real backups (a full,
incrementals, a second chain, after retention) the cache's names say what collection-status says, and
a cache that may not hold every chain (a new, empty cache beside a target with chains; retention) is
not used."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duplicity_cron.model import TargetContents
from duplicity_cron.state import target as target_state
from duplicity_cron.targets.archive_cache import manifests, parse_archive_cache, volumes_in_manifest
from duplicity_cron.targets.collection_status import parse_collection_status

from .backups import PASSPHRASE, Places, backup_env, duplicity, places, wait_for_the_next_second
from .conftest import base_env_path

pytestmark = pytest.mark.slow
FROM_CACHE = "(from duplicity's local cache)"
DAY = 86400


def from_collection_status(where: Places, name: str = "home") -> TargetContents:
    """duplicity's own answer, as `runner.target_contents` reads it."""
    gnupg = where.cache.parent / "status-gnupg"
    gnupg.mkdir(mode=0o700, exist_ok=True)
    command = ["duplicity", "collection-status", "--log-fd", "1", "-v", "warning", "--name", name]
    command += ["--archive-dir", str(where.cache / "duplicity"), where.url]
    env = {"PATH": base_env_path(), "PASSPHRASE": PASSPHRASE, "GNUPGHOME": str(gnupg), "HOME": str(gnupg)}
    try:
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False, env=env)
    return parse_collection_status(done.stdout.splitlines(), datetime.now(UTC))


def from_cache(where: Places, name: str = "home") -> TargetContents:
    folder = where.cache / "duplicity" / name
    names = os.listdir(folder)
    volumes = {}
    for manifest in manifests(names):
        with (folder / manifest).open() as text:
            volumes[manifest] = volumes_in_manifest(text)
    return parse_archive_cache(names, volumes, datetime.now(UTC))


def kept(work_dir: Path) -> TargetContents:
    contents, problem = target_state.read(work_dir.parent / "state", "home")
    assert problem is None and contents is not None
    return contents


def assert_same(where: Places, work_dir: Path) -> TargetContents:
    """The cache's reading, collection-status's and what the run kept all name the same chains."""
    truth = from_collection_status(where)
    assert from_cache(where).chains == truth.chains
    assert kept(work_dir).chains == truth.chains
    assert (truth.orphaned_sets, truth.incomplete_sets) == (0, 0)
    return truth


def backup(cli, env) -> str:
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert "[home/contents] the target holds" in result.stdout
    return result.stdout


def test_full_incrementals_and_a_second_chain_read_from_the_cache(cli, tmp_path, work_dir):
    where = places(tmp_path)
    env = backup_env(where)
    (where.data / "a.txt").write_text("one\n")
    assert FROM_CACHE in backup(cli, env)  # an empty cache, an empty target: the run's own full
    assert [len(chain.incrementals) for chain in assert_same(where, work_dir).chains] == [0]
    for change in ("two\n", "three\n" * 1000):
        wait_for_the_next_second()  # duplicity's times are whole seconds
        (where.data / "a.txt").write_text(change)
        assert FROM_CACHE in backup(cli, env)
    assert [len(chain.incrementals) for chain in assert_same(where, work_dir).chains] == [2]

    wait_for_the_next_second()
    duplicity("full", str(where.data), where.url, where=where)  # by hand, the same cache
    wait_for_the_next_second()
    (where.data / "b.bin").write_bytes(os.urandom(3 << 20))
    assert FROM_CACHE in backup(cli, env)
    truth = assert_same(where, work_dir)
    assert [len(chain.incrementals) for chain in truth.chains] == [2, 1]
    assert [chain.primary for chain in truth.chains] == [False, True]


def test_volumes_counted_from_the_manifests(cli, tmp_path, work_dir):
    where = places(tmp_path)
    (where.data / "random.bin").write_bytes(os.urandom(5 << 20))
    env = backup_env(where, OPTIONS="--volsize 2")  # 2 MiB volumes: three of them
    assert FROM_CACHE in backup(cli, env)
    truth = assert_same(where, work_dir)
    assert [chain.volumes for chain in truth.chains] == [3]


def test_an_empty_cache_beside_chains_asks_collection_status(cli, tmp_path, work_dir):
    """A new container: the state and cache are gone, the target holds two chains. duplicity copies
    only the last chain's metadata into the cache; the older one is found by collection-status."""
    where = places(tmp_path)
    now = int(time.time())
    (where.data / "f").write_text("old\n")
    duplicity("full", str(where.data), where.url, where=where, current_time=now - 20 * DAY)
    duplicity("full", str(where.data), where.url, where=where, current_time=now - 10 * DAY)
    subprocess.run(["rm", "-rf", str(where.cache)], check=True)
    (where.data / "f").write_text("new\n")
    out = backup(cli, backup_env(where))
    assert FROM_CACHE not in out and "asking collection-status" in out
    truth = from_collection_status(where)
    assert len(truth.chains) == 2 and kept(work_dir).chains == truth.chains
    assert len(from_cache(where).chains) == 1  # what the cache alone would have said: wrong

    # the next run knows both chains; the cache still lacks the older one: collection-status again
    wait_for_the_next_second()
    (where.data / "f").write_text("newer\n")
    out = backup(cli, backup_env(where))
    assert FROM_CACHE not in out
    assert kept(work_dir).chains == from_collection_status(where).chains


def test_after_retention_collection_status_and_the_cache_agree(cli, tmp_path, work_dir):
    where = places(tmp_path)
    now = int(time.time())
    (where.data / "f").write_text("a\n")
    for age in (30, 20, 10):
        duplicity("full", str(where.data), where.url, where=where, current_time=now - age * DAY)
    (where.data / "f").write_text("today\n")
    out = backup(cli, backup_env(where, KEEP_FULL="2"))
    assert FROM_CACHE not in out  # retention ran: collection-status
    truth = assert_same(where, work_dir)  # duplicity removed the old chain from the cache as well
    assert len(truth.chains) == 2

    wait_for_the_next_second()
    (where.data / "f").write_text("tomorrow\n")
    assert FROM_CACHE in backup(cli, backup_env(where))  # the cache holds all the state knows
    assert len(assert_same(where, work_dir).chains) == 2
