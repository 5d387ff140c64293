#!/usr/bin/env python3
"""Idle daemon: memory, CPU and firing delay of `duplicity-cron run` with 100 tasks.

    .venv/bin/python benchmarks/idle_daemon.py [--quick] [--window SECONDS] [--keep]

Two variants, one after the other, each observed for the window (default 60 s) after the daemon said
"scheduler ready":
- "99 idle": 99 tasks with cron schedules that cannot fire within the window (5- and 6-field
  expressions pinned to an hour 12 hours away);
- "99 idle + 1/s": the same plus one `* * * * * *` task whose LOAD appends `date +%s.%N` to a file.

Samples the daemon's VmRSS every 0.5 s and VmHWM (peak) from /proc/PID/status, its own CPU
(utime+stime) and its waited-for children's (cutime+cstime) from /proc/PID/stat, and the voluntary
context switches of its main thread (how often the scheduler loop woke up). The firing delay of the
seconds task is the time `date` printed minus the whole second it was due at (so it includes starting
bash and date). Prints a table; asserts nothing. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from report import load_average, table

RUNNER = str(Path(sys.executable).parent / "duplicity-cron")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_TASKS = 99


def idle_schedules(count: int, hour: int) -> list[str]:
    """Varied expressions, all within `hour` (UTC), so none fires in the next hours."""
    schedules = []
    for i in range(count):
        minute = i % 60
        variant = i % 6
        if variant == 0:
            schedules.append(f"{minute} {hour} * * *")
        elif variant == 1:
            schedules.append(f"{minute} {hour} * * 1-5")
        elif variant == 2:
            schedules.append(f"*/{5 + i % 10} {hour} * * *")
        elif variant == 3:
            schedules.append(f"{minute} {hour} 1,15 * *")
        elif variant == 4:
            schedules.append(f"{i % 60} {minute} {hour} * * *")  # 6 fields: seconds first
        else:
            schedules.append(f"{minute} {hour} * 1-6 0,6")
    return schedules


def task_env(scratch: Path, with_seconds_task: bool, ticks: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_", "CONF_"))}
    env.pop("TZ", None)
    env |= {
        "CONF_WORK_DIR": str(scratch / "work"),
        "CONF_STATE_DIR": str(scratch / "state"),  # heartbeat and run history, kept out of /var/lib
        "CONF_LOG_FORMAT": "json",
    }
    far_hour = (datetime.now(UTC).hour + 12) % 24
    for i, expression in enumerate(idle_schedules(IDLE_TASKS, far_hour)):
        env[f"TASK_idle{i:02d}_CRONTAB"] = expression
        env[f"TASK_idle{i:02d}_LOAD"] = "echo this should not run"
    if with_seconds_task:
        env["TASK_tick_CRONTAB"] = "* * * * * *"
        env["TASK_tick_LOAD"] = f"date +%s.%N >> {ticks}"
    return env


@dataclass
class Stat:
    cpu: float  # utime + stime, seconds
    children_cpu: float  # cutime + cstime, seconds
    threads: int


def read_stat(pid: int) -> Stat:
    text = Path(f"/proc/{pid}/stat").read_text()
    rest = text[text.rindex(")") + 2 :].split()  # rest[0] is field 3 (state)
    utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
    return Stat((utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS, int(rest[17]))


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB, voluntary_ctxt_switches of the main thread."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "voluntary_ctxt_switches"):
            values[key] = int(value.split()[0])
    return values


@dataclass
class Result:
    variant: str
    startup: float
    rss_ready_kib: int
    rss_max_kib: int = 0
    hwm_kib: int = 0
    cpu_startup: float = 0.0
    cpu_window: float = 0.0
    children_cpu: float = 0.0
    wakeups: int = 0
    max_threads: int = 0
    delays: list[float] = field(default_factory=list)
    missed: int = 0
    started_runs: int = 0
    skipped_runs: int = 0
    failed_runs: int = 0
    stop_seconds: float = 0.0
    exit_code: int | None = None


def wait_ready(proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"the daemon exited with code {proc.returncode} before it was ready; see {log}")
        if log.exists() and '"event": "scheduler_ready"' in log.read_text():
            return
        time.sleep(0.02)
    sys.exit(f"the daemon did not get ready within {timeout:g}s; see {log}")


def measure(variant: str, with_seconds_task: bool, window: float, scratch: Path) -> Result:
    folder = scratch / ("ticking" if with_seconds_task else "idle")
    folder.mkdir()
    log, ticks = folder / "daemon.log", folder / "ticks"
    env = task_env(folder, with_seconds_task, ticks)
    with log.open("wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            [RUNNER, "run"], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_ready(proc, log)
            ready_at = time.monotonic()
            at_ready, status_ready = read_stat(proc.pid), read_status(proc.pid)
            result = Result(variant, ready_at - started, status_ready["VmRSS"], cpu_startup=at_ready.cpu)
            window_start = time.time()
            while time.monotonic() < ready_at + window:
                status, stat = read_status(proc.pid), read_stat(proc.pid)
                result.rss_max_kib = max(result.rss_max_kib, status["VmRSS"])
                result.max_threads = max(result.max_threads, stat.threads)
                time.sleep(min(0.5, max(0.0, ready_at + window - time.monotonic())))
            window_end = time.time()
            at_end, status_end = read_stat(proc.pid), read_status(proc.pid)
            result.hwm_kib = status_end["VmHWM"]
            result.cpu_window = at_end.cpu - at_ready.cpu
            result.children_cpu = at_end.children_cpu - at_ready.children_cpu
            result.wakeups = status_end["voluntary_ctxt_switches"] - status_ready["voluntary_ctxt_switches"]
            stopping = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            result.exit_code = proc.wait(timeout=30)
            result.stop_seconds = time.monotonic() - stopping
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        message = event.get("message", "")
        if event.get("task", "").startswith("idle") and "run started" in message:
            sys.exit(f"an idle task ran: {line}")
        if event.get("task") == "tick":
            result.started_runs += "run started" in message
            result.skipped_runs += "skipped the run" in message
            result.failed_runs += event.get("event") == "run_finished" and event.get("status") != "succeeded"
    if with_seconds_task:
        starts = [float(v) for v in ticks.read_text().split()] if ticks.exists() else []
        inside = [t for t in starts if window_start <= math.floor(t) and t < window_end]
        result.delays = [t - math.floor(t) for t in inside]
        due = {s for s in range(math.ceil(window_start), math.floor(window_end))}
        result.missed = len(due - {math.floor(t) for t in inside})
    return result


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10 s window instead of 60 s")
    parser.add_argument("--window", type=float, help="seconds to observe each variant (default 60)")
    parser.add_argument("--scratch", default="/var/tmp", help="parent of the scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, ticks)")
    args = parser.parse_args()
    window = args.window or (10.0 if args.quick else 60.0)
    if not Path(RUNNER).exists():
        sys.exit(f"{RUNNER} not found: run this with the project's venv python")

    scratch = Path(tempfile.mkdtemp(prefix="duplicity-cron-idle-", dir=args.scratch))
    print(f"scratch folder: {scratch}{' (kept)' if args.keep else ''}")
    print(f"load average at start: {load_average()}")
    try:
        results = [
            measure("99 idle", False, window, scratch),
            measure("99 idle + 1/s", True, window, scratch),
        ]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nduplicity-cron run, observed for {window:g}s after 'scheduler ready'")
    rows = []
    for r in results:
        rows.append(
            [
                r.variant,
                f"{r.startup:.2f}",
                f"{r.cpu_startup:.2f}",
                mib(r.rss_ready_kib),
                mib(r.rss_max_kib),
                mib(r.hwm_kib),
                f"{r.cpu_window:.2f}",
                f"{r.children_cpu:.2f}",
                str(r.wakeups),
                str(r.max_threads),
                f"{r.stop_seconds:.2f} ({r.exit_code})",
            ]
        )
    table(
        [
            "variant",
            "startup s",
            "startup CPU s",
            "RSS ready MiB",
            "RSS max MiB",
            "VmHWM MiB",
            "daemon CPU s",
            "children CPU s",
            "wakeups",
            "threads",
            "stop s (exit)",
        ],
        rows,
    )
    ticking = [r for r in results if r.started_runs or r.delays]
    for r in ticking:
        delays_ms = sorted(d * 1000 for d in r.delays)
        print(
            f"seconds task ({r.variant}): {r.started_runs} runs started, {len(delays_ms)} in the window, "
            f"{r.missed} due seconds missed, {r.skipped_runs} skipped, {r.failed_runs} failed; "
            f"firing delay median {statistics.median(delays_ms):.1f} ms, "
            f"p90 {delays_ms[int(0.9 * (len(delays_ms) - 1))]:.1f} ms, max {delays_ms[-1]:.1f} ms"
            if delays_ms
            else f"seconds task ({r.variant}): no run recorded"
        )
    print("\ngoals: peak RSS (VmHWM) <= 40 MB, daemon CPU <= 0.2 s over 60 s when idle, firing delay < 1 s")
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
