"""Whether a record's writer still runs: its pid, and when the process with that pid started."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from duplicity_cron.state.liveness import process_alive, started_after

BOOT = 1_700_000_000  # btime of the fake /proc
HZ = os.sysconf("SC_CLK_TCK")


def fake_proc(tmp_path: Path, pid: int, seconds_after_boot: float) -> Path:
    (tmp_path / "stat").write_text(f"cpu  1 2 3\nbtime {BOOT}\nprocesses 9\n")
    (tmp_path / str(pid)).mkdir()
    ticks = int(seconds_after_boot * HZ)
    fields = ["S", *["0"] * 18, str(ticks), "0"]  # state, then fields 4-21, 22 (starttime), 23
    (tmp_path / str(pid) / "stat").write_text(f"{pid} (a (strange) name) {' '.join(fields)}\n")
    return tmp_path


def test_a_process_started_after_the_moment_is_another_one(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 42, 100.0)
    assert started_after(42, datetime.fromtimestamp(BOOT + 50, UTC), proc)
    assert not started_after(42, datetime.fromtimestamp(BOOT + 150, UTC), proc)
    assert not started_after(42, datetime.fromtimestamp(BOOT + 99, UTC), proc)  # within the slack


def test_proc_that_cannot_tell_says_not_after(tmp_path: Path) -> None:
    assert not started_after(42, datetime.fromtimestamp(BOOT, UTC), tmp_path)


def test_this_process_as_the_real_proc_sees_it() -> None:
    assert process_alive(os.getpid(), socket.gethostname()) is True
    assert not started_after(os.getpid(), datetime.now(UTC))
    assert started_after(os.getpid(), datetime(2000, 1, 1, tzinfo=UTC))
    assert process_alive(os.getpid(), "another-host") is None
