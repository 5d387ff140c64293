"""The built-in backup of a task with TARGET and `restore TASK`, with real duplicity and gpg on file://
targets: full then incremental, restores byte for byte at the latest backup and at a time between two,
one path, and never over a folder that holds something without --force."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .backups import PASSPHRASE, backup_env, chains, places, wait_for_the_next_second
from .conftest import COMMAND, base_env, wait_until
from .test_duplicity_roundtrip import make_tree, tree_digest

pytestmark = pytest.mark.slow


def restored_path(result) -> Path:
    """`restore TASK` prints the folder alone on its last line."""
    return Path(result.stdout.splitlines()[-1])


def epoch(stamp: str) -> int:
    """A time of duplicity's file names (20261201T112233Z) in seconds since the epoch."""
    return int(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())


def run_cli(work_dir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *args], env=base_env(work_dir, env), capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def two_backups(tmp_path_factory):
    """Two runs of the task, shared by the restore tests (which restore into their own work folders):
    a full backup of a tree, then an incremental after changes to it. Returns the places, the
    environment, the digests of both versions and the time of the full backup."""
    tmp_path = tmp_path_factory.mktemp("backups")
    (tmp_path / "work").mkdir()
    where = places(tmp_path)
    env = backup_env(where, CRONTAB="@daily")
    make_tree(where.data)
    first = tree_digest(where.data)
    result = run_cli(tmp_path / "work", "exec", "home", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[home/load] --------------[ Backup Statistics ]" in result.stdout  # quiet, with statistics
    assert "DEBUG:" not in result.stdout + result.stderr
    [full] = chains(where.target)

    wait_for_the_next_second()  # the folders' new times must differ from the full's too (statistics)
    (where.data / "db" / "dump.sql").write_text("changed\n")
    (where.data / "new file").write_bytes(b"\x00new\xff")
    (where.data / "empty").unlink()
    second = tree_digest(where.data)
    result = run_cli(tmp_path / "work", "exec", "home", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return where, env, first, second, full


def test_the_second_run_is_an_incremental_and_restore_task_gives_the_latest(cli, two_backups, work_dir):
    where, env, _first, second, full = two_backups
    assert list(chains(where.target)) == [full]
    assert len(chains(where.target)[full]) == 1  # one chain: a full and an incremental
    assert PASSPHRASE.encode() not in b"".join(p.read_bytes() for p in where.target.iterdir())

    result = cli("restore", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    folder = restored_path(result)
    assert folder.parent == work_dir / "home" / "restores"  # a fresh folder under the work folder
    assert tree_digest(folder) == second


def test_restore_at_a_time_between_two_backups_gives_the_first(cli, two_backups, tmp_path):
    where, env, first, _second, full = two_backups
    [incremental] = chains(where.target)[full]
    # Between the two (seconds since the epoch, one of duplicity's time forms): at or after the full
    # backup, before the incremental, which is at least a second later.
    between = (epoch(full) + epoch(incremental)) // 2
    assert epoch(full) <= between < epoch(incremental)
    result = cli(
        "restore", "home", "--time", str(between), "--to", str(tmp_path / "then"), env=env, timeout=300
    )
    assert result.returncode == 0, result.output
    assert restored_path(result) == tmp_path / "then"
    assert tree_digest(tmp_path / "then") == first


def test_restore_never_writes_into_a_folder_that_holds_something_without_force(cli, two_backups, tmp_path):
    _where, env, _first, second, _full = two_backups
    folder = tmp_path / "busy"
    (folder / "db").mkdir(parents=True)
    (folder / "mine.txt").write_text("keep me\n")
    (folder / "db" / "dump.sql").write_text("old content\n")
    before = tree_digest(folder)

    refused = cli("restore", "home", "--to", str(folder), env=env, timeout=300)
    assert refused.returncode == 2
    assert "is not empty; add --force" in refused.stderr
    assert tree_digest(folder) == before

    forced = cli("restore", "home", "--to", str(folder), "--force", env=env, timeout=300)
    assert forced.returncode == 0, forced.output
    after = tree_digest(folder)
    assert after.pop("mine.txt") == before["mine.txt"]  # what the backup does not hold stays
    assert after == second  # the rest is the backup, byte for byte
    assert not list(folder.glob(".restore-*"))


def test_restore_path_restores_one_file(cli, two_backups):
    _where, env, _first, second, _full = two_backups
    result = cli("restore", "home", "--path", "blobs/deep/er/small.bin", env=env, timeout=300)
    assert result.returncode == 0, result.output
    folder = restored_path(result)
    assert tree_digest(folder) == {
        "blobs": "dir", "blobs/deep": "dir", "blobs/deep/er": "dir",
        "blobs/deep/er/small.bin": second["blobs/deep/er/small.bin"],
    }  # fmt: skip


def test_a_failing_restore_exits_1_with_duplicity_s_message_and_leaves_no_folder(cli, two_backups, work_dir):
    _where, env, *_ = two_backups
    result = cli("restore", "home", env={**env, "PASSPHRASE": "a-wrong-one"}, timeout=300)
    assert result.returncode == 1
    assert "[home/restore]!" in result.stdout  # duplicity's own lines, from its stderr
    assert (
        "restore failed: the backup cannot be decrypted: wrong PASSPHRASE (or private key); set the one it "
        "was made with (duplicity exit code 31)"
    ) in result.stdout.splitlines()[-1]
    assert "exited with code" not in result.stdout
    assert list((work_dir / "home" / "restores").iterdir()) == []


def test_restore_usage_errors_run_nothing(cli, tmp_path):
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_home_TARGET": f"file://{tmp_path}/target",
        "TASK_steps_LOAD": "true",
        "TASK_r_RESTORE": "1",
        "TASK_r_LOAD": f"touch {tmp_path}/restore-task-ran",
    }
    cases = {
        ("restore", "nope"): "unknown task nope (defined: home, r, steps)",
        ("restore", "steps"): "task steps has no TARGET",
        ("restore", "home", "--time", "yesterday"): "--time: 'yesterday' is not a duplicity time",
        ("restore", "home", "--path", "/etc/hosts"): "expected a path inside the backup",
        ("restore", "home", "--path", "../x"): "expected a path inside the backup",
        ("restore", "home", "--to", __file__): "is not a folder",
        ("restore", "home", "--bogus"): "unrecognized arguments: --bogus",
    }
    for args, message in cases.items():
        result = cli(*args, env=env)
        assert result.returncode == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    assert not (tmp_path / "restore-task-ran").exists()
    assert not (tmp_path / "target").exists()
    # `restore` alone still runs the restore tasks
    assert cli("restore", env=env).returncode == 0
    assert (tmp_path / "restore-task-ran").exists()


def test_an_own_load_replaces_the_built_in_backup(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where, LOAD='echo "my own load: $TASK_ID"')
    result = cli("exec", "home", env=env, timeout=120)
    assert result.returncode == 0, result.output
    assert "[home/load] my own load: home" in result.stdout
    assert not where.target.exists()


def test_what_extract_writes_into_src_is_backed_up_by_default(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where, EXTRACT='printf "a dump\\n" > "$SRC/all.sql"')
    del env["TASK_home_SOURCE"]
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    restored = cli("restore", "home", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert restored.returncode == 0, restored.output
    assert tree_digest(tmp_path / "r") == {"all.sql": hashlib.sha256(b"a dump\n").hexdigest()}


def test_restore_is_refused_while_a_run_of_the_task_goes_on(cli, daemon, tmp_path):
    """A run and a restore share the task's GNUPGHOME and cache: a restore during a run is refused."""
    started, release = tmp_path / "started", tmp_path / "release"
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_home_TARGET": f"file://{tmp_path}/target",
        "TASK_home_LOAD": f"touch {started}; while [ ! -e {release} ]; do sleep 0.05; done",
    }
    run = daemon(env, ("exec", "home"))
    wait_until(started.exists, timeout=60, what="the run started")
    result = cli("restore", "home", "--to", str(tmp_path / "r"), env=env)
    release.touch()
    assert result.returncode == 1
    assert "restore failed: a run of the task is going on; try again when it ends" in result.stdout
    assert "duplicity" not in result.stdout.splitlines()[-1]
    assert not (tmp_path / "r").exists()
    assert run.proc.wait(60) == 0


def test_a_backup_task_without_a_passphrase_is_a_start_up_error(cli, tmp_path):
    """duplicity would fail asking for one, with a traceback (exit 30); nothing runs instead."""
    env = {"TASK_home_TARGET": f"file://{tmp_path}/target", "TASK_home_SOURCE": str(tmp_path)}
    result = cli("exec", "home", env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1].startswith(
        "  - TASK_home_TARGET: duplicity needs PASSPHRASE (or PASSPHRASE_FILE) to encrypt the backup"
    )
    assert not (tmp_path / "target").exists()


def test_each_backup_records_duplicity_statistics(two_backups):
    """The history keeps what each built-in backup did: the full backed up every entry of the tree,
    the incremental one changed file, one new and one deleted, and the target grew both times."""
    from duplicity_cron.state.history import load_runs

    where, _env, _first, _second, _full = two_backups
    state_dir = where.cache.parent / "state"  # base_env: the state folder beside the work folder
    runs = sorted(load_runs(state_dir, "home"), key=lambda run: run.started)
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    full, incremental = (run.backup for run in runs)
    assert full is not None and incremental is not None
    entries = sum(1 for _ in where.data.rglob("*")) + 1  # and the top folder
    assert full.source_files == full.new_files == entries  # "empty" then, "new file" now
    assert (incremental.source_files, incremental.deleted_files) == (entries, 1)
    # as duplicity 3.2.1 counts this change (measured): 2 new, 1 changed
    assert (incremental.new_files, incremental.changed_files) == (2, 1), incremental
    assert full.destination_change_bytes > 0 and incremental.destination_change_bytes > 0
    assert full.errors == incremental.errors == 0
