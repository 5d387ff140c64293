"""Whether the process that wrote a record still runs: the daemon of a heartbeat, the runner of a run
in progress. Told from here only for a process of this host and PID namespace."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

PID_MAX = 2**22  # Linux's PID_MAX_LIMIT: no process id is larger
# /proc's boot time is whole seconds and a process's start time is in clock ticks: a pid whose process
# started more than this after the record's moment is another process (the pid was reused).
START_SLACK = 2.0


def process_alive(pid: int, hostname: str) -> bool | None:
    """Whether a process with `pid` runs; None when it cannot be told from here (`hostname` is another
    host's, or another PID namespace shares the state folder)."""
    if hostname != socket.gethostname():
        return None
    if not 0 < pid <= PID_MAX:
        return False  # no process has it; and 0 or a negative pid would signal process groups
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return None
    return True


def started_after(pid: int, moment: datetime, proc: Path = Path("/proc")) -> bool:
    """Whether the process with `pid` started after `moment`: then it is not the one that wrote a record
    at `moment`. False when /proc cannot tell."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        boot = next(line for line in (proc / "stat").read_text().splitlines() if line.startswith("btime "))
        ticks = int(stat.rpartition(")")[2].split()[19])  # field 22, after the command's parentheses
        started = int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return False
    return started > moment.timestamp() + START_SLACK
