"""The first example (README quick start, docs/getting-started/folder.md), run exactly as documented:
back up a folder, restore it, compare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .test_duplicity_roundtrip import make_tree, tree_digest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "local-folder.env"
DEMO = Path("/tmp/duplicity-cron-demo")  # the example's fixed location


@pytest.fixture
def demo():
    shutil.rmtree(DEMO, ignore_errors=True)
    (DEMO / "data").mkdir(parents=True)
    make_tree(DEMO / "data")
    secret = DEMO / "passphrase"
    secret.write_text("demo-passphrase-b8f2\n")
    secret.chmod(0o600)
    yield DEMO
    shutil.rmtree(DEMO, ignore_errors=True)


@pytest.mark.slow
def test_local_folder_example_backs_up_and_restores(cli, demo):
    assert cli("--env-file", str(EXAMPLE), "check").returncode == 0
    backup = cli("--env-file", str(EXAMPLE), "exec", "backup", timeout=300)
    assert backup.returncode == 0, backup.output
    (demo / "data" / "added-later.txt").write_text("second run is incremental\n")
    again = cli("--env-file", str(EXAMPLE), "exec", "backup", timeout=300)
    assert again.returncode == 0, again.output
    assert len(list((demo / "target").glob("duplicity-inc.*.manifest.gpg"))) == 1
    restore = cli("--env-file", str(EXAMPLE), "restore", timeout=300)
    assert restore.returncode == 0, restore.output
    assert tree_digest(demo / "restored") == tree_digest(demo / "data")
    assert "demo-passphrase-b8f2" not in backup.output + again.output + restore.output


def test_local_folder_example_schedules_as_documented(daemon, demo):
    d = daemon({}, args=("--env-file", str(EXAMPLE), "run"))
    d.wait_for("scheduler ready")
    assert "[backup] plan: * * * * * (UTC)" in d.output
    assert (demo / "state" / "heartbeat.json").is_file()
    assert d.stop() == 0
