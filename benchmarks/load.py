#!/usr/bin/env python3
"""Load: `duplicity-cron run` with many tasks due every second (default 200 on this 2-core machine).

    .venv/bin/python benchmarks/load.py [--tasks 200] [--window 30] [--rounds 3]
                                        [--runner NAME=PATH ...]

Each task's LOAD appends its id and bash's $EPOCHREALTIME (no extra process) to one file. After the
daemon says "scheduler ready", a window of whole seconds is observed: for every due (task, second), the
run either started in that second (its firing delay is the start minus the whole second) or the
occurrence was skipped as "still running". Also the daemon's own CPU time over the window.

With several `--runner NAME=PATH` (each a `duplicity-cron` of another install, e.g. a baseline venv of
an older commit), the runners take turns round by round, so that they share the machine's state alike,
and the table gives each round and the medians. Prints tables; asserts nothing. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from idle_daemon import read_stat
from report import load_average, table

DEFAULT_RUNNER = str(Path(sys.executable).parent / "duplicity-cron")
SKIP_PREFIX = "skipped the run due at "


@dataclass
class Round:
    runner: str
    due: int = 0
    started: int = 0
    skipped: int = 0
    delays: list[float] = field(default_factory=list)
    cpu: float = 0.0
    window: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.delays)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else math.nan


def daemon_cpu(pid: int) -> float:
    return read_stat(pid).cpu


def environment(folder: Path, tasks: int, starts: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_", "CONF_"))}
    env.pop("TZ", None)
    env |= {
        "CONF_WORK_DIR": str(folder / "work"),
        "CONF_STATE_DIR": str(folder / "state"),
        "CONF_LOG_FORMAT": "json",
    }
    for i in range(tasks):
        env[f"TASK_t{i:03d}_CRONTAB"] = "* * * * * *"
        env[f"TASK_t{i:03d}_LOAD"] = f'echo "$TASK_ID $EPOCHREALTIME" >> {starts}'
    return env


def measure(name: str, runner: str, tasks: int, window: float, scratch: Path) -> Round:
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
    log, starts = folder / "daemon.log", folder / "starts"
    result = Round(name)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [runner, "run"],
            env=environment(folder, tasks, starts),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            end = time.monotonic() + 60
            while b'"scheduler_ready"' not in log.read_bytes():
                if proc.poll() is not None or time.monotonic() > end:
                    sys.exit(f"{name}: the daemon did not get ready; see {log}")
                time.sleep(0.02)
            time.sleep(2.0)  # the first seconds are measured too: the window starts 2 s in
            first = math.ceil(time.time())
            time.sleep(max(0.0, first - time.time()))
            cpu_before = daemon_cpu(proc.pid)
            time.sleep(window)
            result.cpu = daemon_cpu(proc.pid) - cpu_before
            last = first + int(window)  # seconds first .. last-1 are observed
            time.sleep(3.0)  # let the runs of the last seconds start and write
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    result.window = last - first
    result.due = tasks * (last - first)
    for line in starts.read_text().splitlines():
        moment = float(line.split()[1])
        if first <= math.floor(moment) < last:
            result.started += 1
            result.delays.append(moment - math.floor(moment))
    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        message = event.get("message", "")
        if message.startswith(SKIP_PREFIX):
            stamp = message.removeprefix(SKIP_PREFIX).split(": the previous", 1)[0]
            if first <= datetime.fromisoformat(stamp).timestamp() < last:
                result.skipped += 1
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--window", type=float, default=30.0, help="seconds observed per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runner", action="append", default=[], help="NAME=PATH of a duplicity-cron")
    parser.add_argument("--scratch", default="/var/tmp")
    args = parser.parse_args()
    runners = [tuple(spec.split("=", 1)) for spec in args.runner] or [("this", DEFAULT_RUNNER)]
    scratch = Path(tempfile.mkdtemp(prefix="duplicity-cron-load-", dir=args.scratch))
    print(f"{args.tasks} tasks due every second, {args.window:g} s per round; load before: {load_average()}")
    rounds: list[Round] = []
    for number in range(args.rounds):
        for name, path in runners:
            rounds.append(measure(name, path, args.tasks, args.window, scratch))
            print(f"round {number + 1} {name}: done", file=sys.stderr)
    headers = ["runner", "due", "started", "skipped %", "delay p50 ms", "p99 ms", "max ms", "daemon CPU s/s"]
    rows = [
        [
            r.runner,
            str(r.due),
            str(r.started),
            f"{100 * r.skipped / r.due:.2f}",
            f"{1000 * r.percentile(0.5):.0f}",
            f"{1000 * r.percentile(0.99):.0f}",
            f"{1000 * max(r.delays, default=math.nan):.0f}",
            f"{r.cpu / r.window:.2f}",
        ]
        for r in rounds
    ]
    table(headers, rows)
    medians = []
    for name, _ in runners:
        mine = [r for r in rounds if r.runner == name]
        medians.append(
            [
                name,
                f"{statistics.median(100 * r.skipped / r.due for r in mine):.2f}",
                f"{statistics.median(1000 * r.percentile(0.5) for r in mine):.0f}",
                f"{statistics.median(1000 * r.percentile(0.99) for r in mine):.0f}",
                f"{statistics.median(r.cpu / r.window for r in mine):.2f}",
            ]
        )
    table(["runner (median of rounds)", "skipped %", "delay p50 ms", "p99 ms", "daemon CPU s/s"], medians)
    print(f"load after: {load_average()}; scratch {scratch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
