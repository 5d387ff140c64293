"""Duplicity's traps, handled for the built-in commands: a private GNUPGHOME per run (emptied, mode 700,
its gpg-agent ended), a cache folder that cannot be written (told at start-up), a container
re-created with another hostname and an empty cache (the same chain goes on, incrementally), and
whole-second mtimes (a run writes its SOURCE in a later second than its previous run ended)."""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import subprocess
import time
from datetime import UTC, datetime

import pytest

from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.state import history

from ..file_changes import rewrite
from .backups import backup_env, chains, places
from .conftest import COMMAND, base_env, processes_with, require
from .test_duplicity_roundtrip import make_tree, tree_digest

pytestmark = pytest.mark.slow


def test_each_run_has_a_private_gnupg_home_and_ends_its_agent(cli, work_dir, tmp_path):
    where = places(tmp_path)
    (where.data / "file").write_text("content\n")
    gnupg = work_dir / "home" / "gnupg"
    gnupg.mkdir(parents=True)
    (gnupg / "left-over").write_text("from an earlier run\n")
    # The steps' own GNUPGHOME is unusable: the built-in backup does not depend on it.
    env = {**backup_env(where), "GNUPGHOME": str(tmp_path / "missing" / "gnupg")}
    env["TASK_home_FINALLY"] = 'echo "the steps keep their GNUPGHOME: $GNUPGHOME"'
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert f"the steps keep their GNUPGHOME: {tmp_path}/missing/gnupg" in result.stdout
    assert stat.S_IMODE(gnupg.stat().st_mode) == 0o700
    assert not (gnupg / "left-over").exists()
    assert (gnupg / "pubring.kbx").exists()  # gpg used it
    assert processes_with(f"--homedir {gnupg}") == []  # no gpg-agent left running
    # The S2K is fixed in its gpg.conf (no agent to start and calibrate): OpenPGP's largest count,
    # SHA-256 (digest 8)
    assert (gnupg / "gpg.conf").read_text() == "s2k-count 65011712\ns2k-digest-algo SHA256\n"
    volume = next(where.target.glob("duplicity-full.*.difftar.gpg"))
    packets = subprocess.run(["gpg", "--homedir", str(tmp_path), "--batch", "--list-packets", str(volume)],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert re.search(r"s2k 3, hash 8.*\n.*count 65011712 \(255\)", packets.stdout), packets.stdout


def test_a_cache_folder_that_cannot_be_written_is_one_start_up_error(work_dir, tmp_path):
    require("unshare")
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {
        "PASSPHRASE": "a long secret",
        "XDG_CACHE_HOME": str(cache),
        "TASK_home_TARGET": f"file://{tmp_path}/target",
        "TASK_db_TARGET": f"file://{tmp_path}/target-db",
    }

    def check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        # a read-only bind mount of the cache, in a mount namespace of its own
        script = 'mount --bind -o ro "$1" "$1" && exec "$2" check'
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", str(cache), COMMAND],
            env=base_env(work_dir, extra), capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    result = check(env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[1:] == [
        f"  - XDG_CACHE_HOME: duplicity's cache folder {cache}/duplicity is not writable "
        "(Read-only file system); needed by task(s) db, home"
    ]
    # Tasks without TARGET do not need it
    assert check({"XDG_CACHE_HOME": str(cache), "TASK_x_LOAD": "true"}).returncode == 0


def in_uts_namespace(hostname: str, work_dir, env, *args: str) -> subprocess.CompletedProcess[str]:
    """`duplicity-cron ARGS` on a machine called `hostname` (a UTS namespace of its own)."""
    script = 'hostname "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-u", "sh", "-c", script, "sh", hostname, COMMAND, *args],
        env=base_env(work_dir, env), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_new_hostname_and_an_empty_cache_continue_the_chain(work_dir, tmp_path):
    """A container re-created: another hostname, the cache volume lost. Duplicity would refuse the
    incremental (exit 3, "Backup source host has changed"); the built-in backup goes on with it."""
    require("unshare")
    where = places(tmp_path)
    make_tree(where.data)
    env = backup_env(where)
    first = in_uts_namespace("old-container", work_dir, env, "exec", "home")
    assert first.returncode == 0, first.stdout + first.stderr
    [full] = chains(where.target)

    shutil.rmtree(where.cache)
    rewrite(where.data / "db" / "dump.sql", "after the move\n")
    second = in_uts_namespace("new-container", work_dir, env, "exec", "home")
    assert second.returncode == 0, second.stdout + second.stderr
    after = chains(where.target)
    assert list(after) == [full] and len(after[full]) == 1  # an incremental of the same chain

    restored = in_uts_namespace("another-one", work_dir, env, "restore", "home", "--to", str(tmp_path / "r"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert tree_digest(tmp_path / "r") == tree_digest(where.data)


def test_a_folder_restore_cannot_write_is_an_error_line_not_a_traceback(work_dir, tmp_path):
    require("unshare")
    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "a file").write_text("here\n")
    env = {
        "PASSPHRASE": "a long secret",
        "TASK_home_TARGET": f"file://{tmp_path}/target",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    script = 'mount --bind -o ro "$1" "$1" && exec "$2" restore home --to "$1" --force'
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), COMMAND],
        env=base_env(work_dir, env), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[home] ERROR: restore failed: [Errno 30] Read-only file system" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_run_writes_its_source_in_a_later_second_than_its_previous_run_ended(cli, work_dir, tmp_path):
    """Duplicity takes a file whose mtime has the second of the last backup's as unchanged: an EXTRACT
    in the second the previous run read its file would back up nothing new. The previous run here
    ended at the start of a second; the next one, started at once, writes after that second."""
    where = places(tmp_path)
    started = where.data / "started"
    env = backup_env(where, EXTRACT=f"date +%s.%N > {shlex.quote(str(started))}")
    time.sleep(1 - time.time() % 1)  # a second begins
    ended = datetime.now(UTC)
    history.record(work_dir.parent / "state", RunResult("home", Status.SUCCEEDED, Trigger.EXEC, ended, ended))
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert int(float(started.read_text())) > int(ended.timestamp())
    assert int(started.stat().st_mtime) > int(ended.timestamp())

    restored = cli("restore", "home", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert restored.returncode == 0, restored.output
    assert (tmp_path / "r" / "started").read_bytes() == started.read_bytes()
