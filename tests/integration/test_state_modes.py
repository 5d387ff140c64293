"""The state folder and its files are private to the runner's user: they carry output tails."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_exec_creates_the_state_folder_and_its_records_private(cli, work_dir):
    state = work_dir.parent / "state"
    old = os.umask(0o022)
    try:
        result = cli("exec", "t", env={"TASK_t_LOAD": "echo secret-ish output"})
    finally:
        os.umask(old)
    assert result.returncode == 0, result.output
    found = modes(state)
    assert found and {m for p, m in found.items() if (state / p).is_dir()} == {0o700}, found
    assert {m for p, m in found.items() if (state / p).is_file()} == {0o600}, found


def test_run_makes_an_open_state_folder_private_at_start(daemon, work_dir):
    state = work_dir.parent / "state"
    (state / "runs" / "old").mkdir(parents=True, mode=0o755)
    state.chmod(0o755)
    (state / "runs").chmod(0o755)
    record = state / "runs" / "old" / "20260101T000000.000000Z-1-0-succeeded.json"
    record.write_text("{}")
    record.chmod(0o644)
    d = daemon({"TASK_t_CRONTAB": "0 3 * * *", "TASK_t_LOAD": "true"})
    d.wait_for("scheduler ready")
    assert d.stop() == 0
    found = modes(state)
    assert {m for p, m in found.items() if (state / p).is_dir()} == {0o700}, found
    assert {m for p, m in found.items() if (state / p).is_file()} == {0o600}, found
