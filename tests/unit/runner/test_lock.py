"""The task lock and the daemon lock, with real files and real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from duplicity_cron.runner.lock import DaemonRunning, TaskBusy, hold_daemon_lock, task_lock


def test_a_task_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with task_lock(tmp_path / "db"), pytest.raises(TaskBusy), task_lock(tmp_path / "db"):
        pass
    with task_lock(tmp_path / "db"):
        pass


def test_a_child_that_inherits_the_task_lock_keeps_it_after_we_let_go(tmp_path: Path) -> None:
    with task_lock(tmp_path / "db") as fd:
        child = subprocess.Popen(["sleep", "30"], pass_fds=(fd,))
    try:
        with pytest.raises(TaskBusy), task_lock(tmp_path / "db"):
            pass
    finally:
        child.kill()
        child.wait()
    with task_lock(tmp_path / "db"):
        pass


def test_a_second_daemon_lock_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from duplicity_cron.runner.lock import hold_daemon_lock; "
         f"hold_daemon_lock(__import__('pathlib').Path({str(tmp_path)!r})); print('held', flush=True); "
         "time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DaemonRunning) as refused:
            hold_daemon_lock(tmp_path)
        assert refused.value.pid == str(holder.pid)
    finally:
        holder.kill()
        holder.wait()
    fd = hold_daemon_lock(tmp_path)
    assert (tmp_path / "daemon.lock").read_text() == f"{os.getpid()}\n"
    os.close(fd)
