#!/usr/bin/env python3
"""Image sizes and start-up time.

Builds the cron image (Dockerfile target `cron`) and a plain `pip install duplicity` image on the
same base (benchmarks/plain-pip.Dockerfile), prints both sizes and their ratio (goal: cron at most
60 % of plain), and the time from container start to the scheduler's first "scheduler ready" line
(goal: under 1 s), median of several starts.

    python3 benchmarks/image_sizes.py [--starts 5] [--json]

Uses the engine that scripts/images/setup-podman.sh chooses (docker where one answers, else podman).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def engine_env() -> dict[str, str]:
    proc = subprocess.run(
        ["bash", str(REPO / "scripts/images/setup-podman.sh")], capture_output=True, text=True, check=True
    )
    env = dict(os.environ)
    for line in proc.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[7:].partition("=")
            env[key] = shlex.split(value)[0]
    return env


def sh(env, *args, check=True) -> str:
    proc = subprocess.run([env["ENGINE"], *args], capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode:
        sys.exit(f"{env['ENGINE']} {shlex.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def build(env, tag: str, *args: str) -> float:
    pull = ["--pull=never", "--format", "docker"] if env["ENGINE"] == "podman" else ["--pull=false"]
    started = time.monotonic()
    sh(env, "build", *pull, "-t", tag, *args)
    return time.monotonic() - started


def size(env, tag: str) -> int:
    return int(sh(env, "image", "inspect", "--format", "{{.Size}}", tag).strip())


def parse_time(text: str) -> float:
    # podman: 2026-11-26 07:40:01.123456789 +0000 UTC; docker: 2026-11-26T07:40:01.123456789Z
    text = text.strip().replace(" +0000 UTC", "Z").replace(" ", "T")
    head, _, frac = text.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(head + "+00:00").timestamp()
    return stamp + float("0." + (frac or "0"))


def startup(env, tag: str) -> tuple[float, float]:
    """(seconds from `run -d` to the ready line, seconds from the container's StartedAt to it)"""
    name = f"bench-start-{os.getpid()}-{time.monotonic_ns()}"
    began = time.time()
    sh(
        env,
        "run",
        "-d",
        "--name",
        name,
        "-e",
        "CONF_LOG_FORMAT=json",
        "-e",
        "TASK_x_CRONTAB=0 3 * * *",
        "-e",
        "TASK_x_LOAD=true",
        tag,
    )
    try:
        while True:
            logs = subprocess.run(
                [env["ENGINE"], "logs", name], capture_output=True, text=True, env=env
            ).stdout
            if "scheduler_ready" in logs:
                ready = time.time()
                break
            if time.time() - began > 30:
                sys.exit(f"no scheduler_ready line in 30 s:\n{logs}")
            time.sleep(0.01)
        started_at = parse_time(sh(env, "inspect", "--format", "{{.State.StartedAt}}", name))
        return ready - began, ready - started_at
    finally:
        sh(env, "rm", "-f", name, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    env = engine_env()
    cron_tag, plain_tag = "localhost/duplicity-cron-bench:cron", "localhost/duplicity-cron-bench:plain-pip"
    cron_build = build(env, cron_tag, "--target", "cron", str(REPO))
    plain_build = build(env, plain_tag, "-f", str(REPO / "benchmarks/plain-pip.Dockerfile"), str(REPO))
    cron_size, plain_size = size(env, cron_tag), size(env, plain_tag)
    runs = [startup(env, cron_tag) for _ in range(options.starts)]
    result = {
        "engine": env["ENGINE"],
        "cron_image_bytes": cron_size,
        "plain_pip_image_bytes": plain_size,
        "ratio": round(cron_size / plain_size, 3),
        "cron_build_seconds": round(cron_build, 1),
        "plain_build_seconds": round(plain_build, 1),
        "start_to_ready_seconds_median": round(statistics.median(r[1] for r in runs), 3),
        "run_command_to_ready_seconds_median": round(statistics.median(r[0] for r in runs), 3),
        "starts": options.starts,
    }
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"engine                        {result['engine']}")
        print(f"cron image                    {cron_size / 1e6:7.1f} MB (build {cron_build:.0f} s)")
        print(f"plain `pip install duplicity` {plain_size / 1e6:7.1f} MB (build {plain_build:.0f} s)")
        print(f"ratio cron / plain            {result['ratio'] * 100:7.1f} %   (goal <= 60 %)")
        print(
            f"container start -> ready      {result['start_to_ready_seconds_median']:7.3f} s (median of "
            f"{options.starts}; goal < 1 s)"
        )
        print(
            f"`run -d` command -> ready     {result['run_command_to_ready_seconds_median']:7.3f} s (includes "
            "creating the container)"
        )
    return 0 if result["ratio"] <= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
