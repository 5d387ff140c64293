"""The local examples (README "Run it", docs/getting-started/folder.md), run exactly as documented:
examples/local-folder.env (SOURCE + TARGET: exec, restore TASK, verify TASK, check, run) and
examples/local-folder-steps.env (the same backup as shell steps, with a restore task)."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duplicity_cron.config.schedules import CronSchedule

from .test_duplicity_roundtrip import make_tree, tree_digest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "local-folder.env"
STEPS_EXAMPLE = EXAMPLES / "local-folder-steps.env"
DEMO = Path("/tmp/duplicity-cron-demo")  # the examples' fixed location
SECRET = "demo-passphrase-b8f2"


@pytest.fixture
def demo() -> Iterator[Path]:
    """The demo folder as scripts/run-local.sh makes it: data and a passphrase file. The folder is
    fixed, so a lock keeps two test runs on one machine (other checkouts) from sharing it."""
    with open("/tmp/duplicity-cron-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(DEMO, ignore_errors=True)
        (DEMO / "data").mkdir(parents=True)
        make_tree(DEMO / "data")
        secret = DEMO / "passphrase"
        secret.write_text(SECRET + "\n")
        secret.chmod(0o600)
        yield DEMO
        shutil.rmtree(DEMO, ignore_errors=True)


def test_local_folder_example_passes_check(cli, demo):
    checked = cli("--env-file", str(EXAMPLE), "check")
    assert checked.returncode == 0, checked.output
    assert "1 task(s), 1 scheduled" in checked.output


@pytest.mark.slow
def test_local_folder_example_backs_up_restores_and_verifies_twice_in_a_row(cli, demo):
    """exec -> restore TASK (byte for byte) -> verify TASK, and the same again: a second restore
    must not find the first one in its way (the steps' restore failed there with exit code 11)."""
    outputs = []
    for round_ in (1, 2):
        if round_ == 2:
            (demo / "data" / "added-later.txt").write_text("second run is incremental\n")
        backup = cli("--env-file", str(EXAMPLE), "exec", "backup", timeout=300)
        assert backup.returncode == 0, backup.output
        restore = cli("--env-file", str(EXAMPLE), "restore", "backup", timeout=300)
        assert restore.returncode == 0, restore.output
        restored = Path(restore.stdout.strip().splitlines()[-1])
        assert restored.parent == demo / "work" / "backup" / "restores"
        assert tree_digest(restored) == tree_digest(demo / "data")
        verify = cli("--env-file", str(EXAMPLE), "verify", "backup", timeout=300)
        assert verify.returncode == 0, verify.output
        assert "[backup] verified: the latest backup was restored and checked" in verify.output
        outputs += [backup.output, restore.output, verify.output]
    assert len(list((demo / "target").glob("duplicity-full.*.manifest.gpg"))) == 1
    assert len(list((demo / "target").glob("duplicity-inc.*.manifest.gpg"))) == 1
    status = cli("--env-file", str(EXAMPLE), "status")
    assert status.returncode == 0, status.output
    assert "backup  * * * * * (UTC)  succeeded" in status.stdout
    assert SECRET not in "".join(outputs) + status.output


def test_local_folder_example_drills_never_start_with_a_backup():
    """A drill that finds the task's backup running is skipped: with backups every minute, a drill at
    second 0 (`*/10 * * * *`) would be skipped every time (seen running scripts/run-local.sh)."""
    values = dict(line.split("=", 1) for line in EXAMPLE.read_text().splitlines() if line.startswith("TASK_"))
    backups = CronSchedule.from_crontab(values["TASK_backup_CRONTAB"])
    drills = CronSchedule.from_crontab_or_periodicity(values["TASK_backup_VERIFY"])
    moment = datetime(2026, 12, 7, tzinfo=UTC)
    for _ in range(24 * 6):  # a day of drills
        moment = drills.next_after(moment)
        last_backup = moment - timedelta(minutes=1, seconds=1)
        while (following := backups.next_after(last_backup)) <= moment:
            last_backup = following
        assert moment - last_backup >= timedelta(seconds=20), (moment, last_backup)


def test_local_folder_example_schedules_as_documented(daemon, demo):
    d = daemon({}, args=("--env-file", str(EXAMPLE), "run"))
    d.wait_for("scheduler ready")
    assert "[backup] plan: * * * * * (UTC)" in d.output
    assert "[backup] plan: verify 30 */10 * * * * (UTC)" in d.output
    assert (demo / "state" / "heartbeat.json").is_file()
    assert d.stop() == 0


@pytest.mark.slow
def test_steps_example_backs_up_and_restores_twice_in_a_row(cli, demo):
    steps = demo / "steps"
    assert cli("--env-file", str(STEPS_EXAMPLE), "check").returncode == 0
    backup = cli("--env-file", str(STEPS_EXAMPLE), "exec", "backup", timeout=300)
    assert backup.returncode == 0, backup.output
    (demo / "data" / "added-later.txt").write_text("second run is incremental\n")
    again = cli("--env-file", str(STEPS_EXAMPLE), "exec", "backup", timeout=300)
    assert again.returncode == 0, again.output
    assert len(list((steps / "target").glob("duplicity-inc.*.manifest.gpg"))) == 1
    outputs = [backup.output, again.output]
    for _ in (1, 2):
        restore = cli("--env-file", str(STEPS_EXAMPLE), "restore", timeout=300)
        assert restore.returncode == 0, restore.output
        assert tree_digest(steps / "restored") == tree_digest(demo / "data")
        outputs.append(restore.output)
    assert SECRET not in "".join(outputs)
