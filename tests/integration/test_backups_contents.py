"""What a target holds and what each backup did, with real duplicity and gpg on file:// targets: read
after each run into `status` and /metrics; a target that cannot be read is a warning, never a failure."""

from __future__ import annotations

import json
import os
import pty
import random
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from ..file_changes import rewrite
from .backups import PASSPHRASE, backup_env, chains, duplicity, places, wait_for_the_next_second
from .conftest import COMMAND, base_env
from .http_recorder import free_port
from .test_backups import epoch
from .test_monitoring import scrape

pytestmark = pytest.mark.slow


def task_status(cli, env) -> dict:
    result = cli("status", "--json", env=env)
    assert result.returncode == 0, result.output
    [entry] = json.loads(result.stdout)["tasks"]
    return entry


def seconds(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


@pytest.fixture
def two_chains(cli, tmp_path):
    """Full and incremental by the task, a full forced beside it, then an incremental on that one."""
    where = places(tmp_path)
    (where.data / "a.txt").write_text("one\n")
    env = backup_env(where, CRONTAB="0 3 * * *")
    for change in ("two\n", None):
        result = cli("exec", "home", env=env, timeout=300)
        assert result.returncode == 0, result.output
        if change:
            rewrite(where.data / "a.txt", change)
    # duplicity's times are whole seconds: a full in the second the incremental ended would leave the
    # next incremental's chain ambiguous (it starts where both end); a fast machine does both in one
    wait_for_the_next_second()
    duplicity("full", str(where.data), where.url, where=where)
    (where.data / "b.txt").write_text("new\n")
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    return where, env, result


def test_status_shows_the_chains_the_target_holds(cli, two_chains):
    where, env, last_exec = two_chains
    fulls = chains(where.target)  # read from the target's file names
    assert len(fulls) == 2
    first, second = sorted(fulls)
    assert "[home/contents] the target holds 2 chain(s)" in last_exec.stdout
    target = task_status(cli, env)["target"]
    assert target["chain_count"] == 2
    assert [chain["incrementals"] for chain in target["chains"]] == [1, 1]
    assert seconds(target["oldest_restorable"]) == epoch(first)
    assert seconds(target["last_full"]) == epoch(second)
    assert target["incrementals_since_last_full"] == 1
    assert seconds(target["last_backup"]) == epoch(fulls[second][-1])
    assert [chain["primary"] for chain in target["chains"]] == [False, True]
    text = cli("status", "home", env=env)
    assert "target (read " in text.stdout and "2 chain(s)" in text.stdout


def test_statistics_in_status_and_in_a_metrics_scrape(cli, daemon, two_chains):
    where, env, last_exec = two_chains
    entry = task_status(cli, env)
    stats = entry["last_success_backup"]
    assert stats == entry["last_run"]["backup"]
    printed = dict(re.findall(r"\[home/load\] (\w+) (-?\d+)", last_exec.stdout))  # duplicity's own block
    assert stats["new_files"] == int(printed["NewFiles"]) >= 1  # b.txt
    assert stats["source_files"] == int(printed["SourceFiles"]) == 3  # the folder, a.txt, b.txt
    assert stats["destination_change_bytes"] == int(printed["TotalDestinationSizeChange"]) > 0
    assert stats["errors"] == 0
    assert "last successful backup: 3 files" in cli("status", "home", env=env).stdout
    port = free_port()
    d = daemon({**env, "CONF_METRICS_PORT": str(port)})
    d.wait_for("scheduler ready")
    metrics = scrape(port)
    home = (("task", "home"),)
    fields = ("source_files", "source_bytes", "new_files", "changed_files", "deleted_files", "errors")
    for field in (*fields, "destination_change_bytes"):
        assert metrics[(f"duplicity_cron_backup_{field}", home)] == stats[field]
    first, second = sorted(chains(where.target))
    assert metrics[("duplicity_cron_target_chains", home)] == 2
    assert metrics[("duplicity_cron_target_incrementals_since_last_full", home)] == 1
    assert metrics[("duplicity_cron_target_last_full_timestamp_seconds", home)] == epoch(second)
    assert metrics[("duplicity_cron_target_oldest_restorable_timestamp_seconds", home)] == epoch(first)
    assert d.stop() == 0
    assert PASSPHRASE not in d.output


def test_a_target_that_cannot_be_read_is_a_warning_and_status_keeps_the_last_reading(cli, tmp_path):
    where = places(tmp_path)
    (where.data / "a.txt").write_text("one\n")
    env = backup_env(where, OPTIONS="--num-retries 1 --backend-retry-delay 1")
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    before = task_status(cli, env)["target"]
    assert before["chain_count"] == 1
    # After this run's backup, its FINALLY puts a file where the target folder was.
    broken = {**env, "TASK_home_FINALLY": f"mv {where.target} {where.target}.moved && touch {where.target}"}
    result = cli("exec", "home", env=broken, timeout=300)
    assert result.returncode == 0, result.output
    assert "run succeeded" in result.stdout
    assert "WARNING: cannot read what the target holds (duplicity collection-status exited with code 50)" in (
        result.stdout
    )
    assert "Traceback" not in result.output
    assert task_status(cli, env)["target"] == before  # what was read before, with its time


def test_a_task_with_its_own_load_and_no_retention_never_lists_its_target(cli, tmp_path):
    where = places(tmp_path)
    result = cli("exec", "home", env=backup_env(where, LOAD="true"), timeout=120)
    assert result.returncode == 0 and "[home/contents]" not in result.stdout
    assert task_status(cli, backup_env(where, LOAD="true"))["target"] is None


def big_data(folder: Path, megabytes: int) -> None:
    rng = random.Random(7)
    for index in range(megabytes // 4):
        (folder / f"blob{index}.bin").write_bytes(rng.randbytes(4 * 1024 * 1024))


def test_a_backup_logs_progress_lines_and_none_when_off(cli, tmp_path):
    where = places(tmp_path)
    big_data(where.data, 40)
    options = {"OPTIONS": "--volsize 4"}  # a volume at a time is what duplicity counts as done
    env = {**backup_env(where, **options), "CONF_PROGRESS_INTERVAL": "1"}
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    progress = [line for line in result.stdout.splitlines() if "[home/load] progress: " in line]
    assert progress and all("% done (" in line and "ETA" in line for line in progress)
    assert "DEBUG:" not in result.output and "Duplicity backup complete." not in result.output
    assert "\x1b" not in result.output and "\\x1b" not in result.output  # no terminal rewrites logged
    tail = task_status(cli, env)["last_run"]["output_tail"]
    assert not [line for line in tail if "progress" in line or "ETA" in line]
    assert any("SourceFiles" in line for line in tail)

    rewrite(where.data / "blob0.bin", b"changed")
    result = cli("exec", "home", env={**env, "CONF_PROGRESS_INTERVAL": "0"}, timeout=300)
    assert result.returncode == 0, result.output
    assert "] progress: " not in result.stdout and "ETA" not in result.stdout


def test_restore_logs_progress_by_volume_and_restores_byte_for_byte(cli, tmp_path, work_dir):
    where = places(tmp_path)
    big_data(where.data, 24)
    # an interval far shorter than the restore of 24 volumes (under 1 s on a fast machine)
    env = {**backup_env(where, OPTIONS="--volsize 4"), "CONF_PROGRESS_INTERVAL": "0.01"}
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    into = tmp_path / "restored"
    result = cli("restore", "home", "--to", str(into), env=env, timeout=300)
    assert result.returncode == 0, result.output
    progress = [line for line in result.stdout.splitlines() if "[home/restore] progress: " in line]
    assert progress and all("% done (volume " in line for line in progress)
    assert "Writing " not in result.output  # the -v info records stay out of the log
    for original in where.data.iterdir():
        assert (into / original.name).read_bytes() == original.read_bytes()
    off = {**env, "CONF_PROGRESS_INTERVAL": "0"}
    quiet = cli("restore", "home", "--to", str(tmp_path / "r2"), env=off, timeout=300)
    assert quiet.returncode == 0 and "] progress: " not in quiet.stdout

    # From a terminal: a bar on stderr, redrawn in place, and no progress lines in the log.
    primary, secondary = pty.openpty()
    log = tmp_path / "restore.log"
    with log.open("w") as stdout:
        proc = subprocess.Popen(
            [COMMAND, "restore", "home", "--to", str(tmp_path / "r3")], env=base_env(work_dir, env),
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=secondary,
        )  # fmt: skip
    os.close(secondary)
    try:
        bar = read_all(primary)  # until the restore ends
    finally:
        os.close(primary)
    assert proc.wait(timeout=300) == 0, log.read_text() + bar
    assert "\r[" in bar and "% done (volume " in bar
    assert "progress: " not in log.read_text()


def read_all(fd: int) -> str:
    """What a pty's other end received (EIO once the last writer is gone)."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_drill_logs_the_progress_of_its_restore_and_still_compares(cli, tmp_path):
    where = places(tmp_path)
    big_data(where.data, 24)
    env = {**backup_env(where, OPTIONS="--volsize 4"), "CONF_PROGRESS_INTERVAL": "0.01"}  # as above
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    result = cli("verify", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    progress = [line for line in result.stdout.splitlines() if "[home/restore] progress: " in line]
    assert progress and all("% done (volume " in line for line in progress)
    assert "verified: the latest backup was restored and checked; 7 entries" in result.output
    drill = task_status(cli, env)["last_verify"]
    assert drill["status"] == "succeeded" and "progress" not in drill["verdict"]


def test_the_targets_size_is_what_its_chains_backups_wrote_and_retention_takes_it_away(cli, tmp_path):
    """Each run records what the target held after it: a chain's backups add up, a chain retention
    removed counts no more; on a file:// target it is the size of its volumes, byte for byte (duplicity's
    figure leaves out the signatures and manifests, a few KiB here)."""
    where = places(tmp_path)
    (where.data / "a.bin").write_bytes(random.randbytes(300_000))

    def run(**keys: str) -> tuple[int, int]:
        wait_for_the_next_second()  # a full in the second of the previous set would be ambiguous
        result = cli("exec", "home", env=backup_env(where, **keys), timeout=300)
        assert result.returncode == 0, result.output
        runs = sorted((tmp_path / "state" / "runs" / "home").glob("*.json"))
        last = json.loads(runs[-1].read_text())
        on_disk = sum(path.stat().st_size for path in where.target.glob("*.difftar.gpg"))
        assert last["target_bytes"] == on_disk, (last["target_bytes"], on_disk)
        assert task_status(cli, backup_env(where))["target"]["size_bytes"] == on_disk
        return last["target_bytes"], last["backup"]["destination_change_bytes"]

    first, added_first = run()
    assert first == added_first > 300_000
    (where.data / "b.bin").write_bytes(random.randbytes(50_000))
    second, added_second = run()
    assert second == first + added_second and len(chains(where.target)) == 1
    third, added_third = run(FULL_EVERY="1s", KEEP_FULL="1")  # a new chain; the first one removed
    assert len(chains(where.target)) == 1 and third == added_third < second
