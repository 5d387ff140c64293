"""`verify TASK`, a drill, with real duplicity and gpg on file:// targets: it passes after backups, and
fails with its reason when the target is damaged (a volume deleted, a byte flipped, a wrong
passphrase) or holds other than the backup recorded; recorded as a `verify` run, pinged only on failure.

Every test works on its own copy of one backed-up task (data, target, cache and state folder).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from ..file_changes import rewrite
from .backups import PASSPHRASE, Places, backup_env, duplicity, places
from .conftest import COMMAND, base_env, wait_until
from .http_recorder import Recorder
from .test_backups import run_cli
from .test_duplicity_roundtrip import make_tree

pytestmark = pytest.mark.slow
VOLSIZE = "--volsize 1"  # MiB: the tree's 3 MiB of random bytes make four volumes


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """Two runs of a task with TARGET (a full backup, then an incremental), four volumes in the full."""
    root = tmp_path_factory.mktemp("verify")
    (root / "work").mkdir()
    where = places(root)
    make_tree(where.data)
    env = backup_env(where, OPTIONS=VOLSIZE)
    for change in ("", "changed\n"):
        if change:
            rewrite(where.data / "db" / "dump.sql", change)
        result = run_cli(root / "work", "exec", "home", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(where.target.glob("duplicity-full.*.vol*.difftar.gpg"))) == 4
    return root


@pytest.fixture
def copy(backed_up: Path, tmp_path: Path) -> tuple[Places, dict[str, str]]:
    """This test's copy of the backed-up task: its places, and the task's environment on them."""
    where = places(tmp_path)
    shutil.copytree(backed_up / "data", where.data, symlinks=True, dirs_exist_ok=True)
    for name in ("target", "cache", "state"):
        shutil.copytree(backed_up / name, tmp_path / name, symlinks=True)
    return where, backup_env(where, OPTIONS=VOLSIZE)


def history(tmp_path: Path) -> list[dict]:
    records = sorted((tmp_path / "state" / "runs" / "home").glob("*.json"))
    return [json.loads(path.read_text()) for path in records]


def drills(tmp_path: Path) -> list[dict]:
    return [record for record in history(tmp_path) if record["trigger"] == "verify"]


def volumes(target: Path) -> list[Path]:
    return sorted(target.glob("duplicity-full.*.vol*.difftar.gpg"))


def test_verify_passes_after_backups_and_is_recorded_as_a_verify_run(cli, copy, tmp_path, work_dir):
    _where, env = copy
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert "[home] run started (verify)" in result.stdout
    assert "Verify complete: 11 file(s) compared, 0 difference(s) found." in result.stdout
    assert (
        "verified: the latest backup was restored and checked; 11 entries and 3,145,877 bytes of files, "
        "as the backup of"
    ) in result.stdout
    assert "[home] verify succeeded in" in result.stdout
    assert PASSPHRASE not in result.output
    assert not (work_dir / "home" / "verify").exists()  # the scratch folder is removed

    [drill] = drills(tmp_path)
    assert (drill["status"], drill["failed_step"], drill["exit_code"]) == ("succeeded", None, 0)
    assert drill["output_tail"][-1].startswith("verified: the latest backup was restored and checked")
    status = json.loads(cli("status", "--json", env=env).stdout)["tasks"][0]
    assert status["last_run"]["trigger"] == "exec"  # a drill is no backup run
    assert status["last_verify"]["status"] == "succeeded"
    assert status["last_verified"] == status["last_verify"]["ended"]
    assert "LAST VERIFIED" in cli("status", env=env).stdout


@pytest.mark.parametrize(
    ("damage", "reason", "exit_code"),
    [
        ("delete", "the restore of the latest backup failed: volume 2 of the backup is missing", 1),
        ("flip", "a volume is damaged: its hash does not match the manifest (duplicity-full.", 21),
        ("passphrase", "the backup cannot be decrypted: wrong PASSPHRASE (or private key)", 31),
    ],
)  # fmt: skip
def test_a_damaged_target_fails_the_drill_with_its_reason(cli, copy, tmp_path, damage, reason, exit_code):
    where, env = copy
    if damage == "delete":
        volumes(where.target)[1].unlink()
    elif damage == "flip":
        volume = volumes(where.target)[2]
        data = bytearray(volume.read_bytes())
        data[len(data) // 2] ^= 0x01
        volume.write_bytes(bytes(data))
    else:
        env = {**env, "PASSPHRASE": "canary-a-wrong-passphrase"}
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 1, result.output
    [line] = [line for line in result.stdout.splitlines() if "verify failed:" in line]
    assert reason in line
    assert "verify failed in" in result.stdout
    assert f"(exit code {exit_code}, failed step restore)" in result.stdout
    [drill] = drills(tmp_path)
    assert (drill["status"], drill["failed_step"], drill["exit_code"]) == ("failed", "restore", exit_code)
    assert reason in drill["output_tail"][-1]
    assert "canary-a-wrong-passphrase" not in json.dumps(drill) + result.output


def test_a_latest_backup_that_is_not_what_the_runner_recorded_fails_the_comparison(cli, copy, tmp_path):
    """A backup written into the target by someone else: restored and verified fine, but it holds
    one file less than the backup the runner recorded."""
    where, env = copy
    (where.data / "empty").unlink()
    # --allow-source-mismatch: the copy's data folder is not where the backups were made (exit 42)
    duplicity("incremental", "--allow-source-mismatch", str(where.data), where.url, where=where)
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 1, result.output
    assert "verify failed: the restore holds 10 files, folders and links; the backup of " in result.stdout
    assert "recorded 11" in result.stdout
    [drill] = drills(tmp_path)
    assert (drill["failed_step"], drill["exit_code"]) == ("compare", 1)


def test_a_truncated_file_fails_the_comparison_of_bytes(cli, copy):
    where, env = copy
    blob = where.data / "blobs" / "random.bin"
    blob.write_bytes(blob.read_bytes()[:-1])
    duplicity("incremental", "--allow-source-mismatch", str(where.data), where.url, where=where)
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 1, result.output
    assert (
        "verify failed: the restore holds 3,145,876 bytes in files and links; the backup of " in result.stdout
    )
    assert "recorded 3,145,877" in result.stdout


def test_without_a_recorded_backup_the_drill_says_counts_were_not_compared(cli, tmp_path):
    """A task whose own LOAD backs up (no statistics recorded): restored and verified, nothing claimed."""
    where = places(tmp_path)
    make_tree(where.data)
    duplicity("full", str(where.data), where.url, where=where)
    env = backup_env(where, LOAD="true")
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert (
        "verified: the latest backup was restored and checked; counts not compared: no backup run of "
        "this task is recorded"
    ) in result.stdout
    assert "bytes of files, as" not in result.stdout


def test_verify_usage_errors_run_nothing(cli, tmp_path):
    env = {"PASSPHRASE": PASSPHRASE, "TASK_home_TARGET": f"file://{tmp_path}/t", "TASK_steps_LOAD": "true"}
    for args, message in {
        ("verify",): "the following arguments are required: TASK",
        ("verify", "nope"): "unknown task nope (defined: home)",
        ("verify", "steps"): "no TARGET to verify for task steps (defined: home)",
    }.items():
        result = cli(*args, env=env)
        assert result.returncode == 2, (args, result.output)
        assert message in result.stderr
    assert not (tmp_path / "state" / "runs").exists()
    assert "verify TASK" in cli("--help").stdout


def test_a_drill_of_a_busy_task_is_skipped(cli, copy, tmp_path, work_dir):
    _where, env = copy
    busy = {**env, "TASK_home_PREPARE": f"touch {tmp_path}/started; sleep 30"}
    run = subprocess.Popen(
        [COMMAND, "exec", "home"], env=base_env(work_dir, busy), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until(lambda: (tmp_path / "started").exists(), what="the run to start")
        result = cli("verify", "home", env=env)
        assert result.returncode == 1, result.output
        assert "skipped: this task is already running" in result.stdout
        [drill] = drills(tmp_path)
        assert drill["status"] == "skipped"
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the run and its sleeping step
        run.wait()


def test_a_drill_pings_only_when_it_fails(cli, copy):
    where, env = copy
    monitor = Recorder()
    try:
        env = {**env, "TASK_home_PING_URL": f"{monitor.url}/ping/home"}
        assert cli("verify", "home", env=env, timeout=300).returncode == 0
        volumes(where.target)[0].unlink()
        assert cli("verify", "home", env=env, timeout=300).returncode == 1
        monitor.wait_for(1)
        assert [(r.method, r.path) for r in monitor.requests] == [("POST", "/ping/home/fail")]
        assert b"volume 1 of the backup is missing" in monitor.requests[0].body
    finally:
        monitor.close()


def test_scheduled_drills_are_recorded_and_judged_by_healthcheck(daemon, cli, copy, tmp_path):
    where, env = copy
    env = {**env, "TASK_home_VERIFY": "*/10 * * * * *"}
    running = daemon(env)
    running.wait_for("scheduler ready: 0 scheduled task(s), 1 with drills")
    running.wait_for("[home] verify succeeded", timeout=120)
    wait_until(lambda: cli("healthcheck", env=env).stdout.strip() == "healthy", timeout=60, what="healthy")

    saved, volume = tmp_path / "saved-volume", volumes(where.target)[1]
    shutil.move(volume, saved)
    running.wait_for("[home] verify failed", timeout=120)
    health = cli("healthcheck", env=env)
    assert health.returncode == 1
    assert "unhealthy: task home: last verify failed at step restore (exit code 1)" in health.stdout

    shutil.move(saved, volume)  # back where it was
    count = running.output.count("[home] verify succeeded")
    running.wait_for("[home] verify succeeded", timeout=120, count=count + 1)
    wait_until(lambda: cli("healthcheck", env=env).returncode == 0, timeout=60, what="healthy again")
    assert all(record["trigger"] == "verify" for record in history(tmp_path)[2:])
    assert running.stop() == 0
