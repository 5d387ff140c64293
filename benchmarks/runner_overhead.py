#!/usr/bin/env python3
"""Runner overhead: `duplicity full` of ~1 GB run bare vs the same command as a task's LOAD.

    .venv/bin/python benchmarks/runner_overhead.py [--quick] [--rounds N] [--size-mb MB] [--keep]

1. Generates mixed data once in a scratch folder (default under /var/tmp): an SQL-like text dump,
   random binary, and many small files (text and binary).
2. For each round, runs the same duplicity command (encrypted with PASSPHRASE, `file://` target, fresh
   target, --archive-dir and GNUPGHOME each time, `--no-print-statistics -v warning`) bare and through
   `duplicity-cron exec`, in alternating order, and measures the wall time and the CPU time of the
   process tree (os.wait4). The gpg-agent each run leaves behind is killed after it.
3. Streams N lines through a task (`yes LINE | head -n N`) and compares with bare bash writing the same
   lines to a pipe that is read and discarded: the cost of the runner's line-by-line framing + masking.

Prints the figures as tables; asserts nothing. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from report import load_average, table

VENV_BIN = Path(sys.executable).parent
DUPLICITY = str(VENV_BIN / "duplicity")
RUNNER = str(VENV_BIN / "duplicity-cron")
PASSPHRASE = "bench-passphrase-0f3c9a"  # masked by the runner: it looks secret
MIB = 1024 * 1024
SCRATCH = Path("/nonexistent")  # set by main()


# --------------------------------------------------------------------------------------------- data


# fmt: off
_WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
    "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
    "victor", "whiskey", "xray", "yankee", "zulu", "paris", "lyon", "nantes", "lille", "rennes",
    "invoice", "shipped", "pending", "refunded", "cancelled", "customer", "order", "widget", "gadget",
    "premium", "standard",
)
# fmt: on
_STATUSES = ("new", "paid", "shipped", "delivered", "refunded", "cancelled")


def _sql_chunk(rng: random.Random, first_id: int, rows: int) -> str:
    words, statuses, rand = _WORDS, _STATUSES, rng.randrange
    lines = [
        f"INSERT INTO orders (id, customer_id, created_at, status, amount, note) VALUES "
        f"({i}, {rand(1, 200_000)}, '2025-{rand(1, 13):02d}-{rand(1, 29):02d} "
        f"{rand(24):02d}:{rand(60):02d}:{rand(60):02d}', '{statuses[rand(6)]}', "
        f"{rand(100, 1_000_000) / 100:.2f}, '{words[rand(len(words))]} {words[rand(len(words))]} "
        f"{words[rand(len(words))]}');\n"
        for i in range(first_id, first_id + rows)
    ]
    return "".join(lines)


def _write_sql(path: Path, size: int, rng: random.Random) -> None:
    written, next_id = 0, 1
    with path.open("w", encoding="ascii") as out:
        out.write("-- generated SQL-like dump\nBEGIN;\n")
        while written < size:
            chunk = _sql_chunk(rng, next_id, 5000)
            next_id += 5000
            out.write(chunk)
            written += len(chunk)
        out.write("COMMIT;\n")


def _write_random(path: Path, size: int) -> None:
    with path.open("wb") as out:
        left = size
        while left > 0:
            block = os.urandom(min(4 * MIB, left))
            out.write(block)
            left -= len(block)


def _write_small_files(root: Path, size: int, rng: random.Random) -> int:
    """Files of 200 B to 64 KiB (log-uniform), two thirds text, one third binary; returns the count."""
    written = count = 0
    while written < size:
        folder = root / f"d{count // 100:03d}"
        if count % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        length = int(200 * (65536 / 200) ** rng.random())
        if count % 3 == 2:
            content = os.urandom(length)
            name = f"blob{count:05d}.bin"
        else:
            text = " ".join(rng.choice(_WORDS) for _ in range(length // 6 + 1))
            content = f'{{"id": {count}, "body": "{text}"}}\n'.encode()[:length]
            name = f"doc{count:05d}.json"
        (folder / name).write_bytes(content)
        written += len(content)
        count += 1
    return count


def generate_data(data: Path, total_mb: int) -> tuple[int, int]:
    """45 % SQL text, 40 % random binary, 15 % small files. Returns (bytes, files)."""
    rng = random.Random(20261126)
    total = total_mb * MIB
    data.mkdir(parents=True)
    _write_sql(data / "dump.sql", int(total * 0.45), rng)
    _write_random(data / "random.bin", int(total * 0.40))
    small = _write_small_files(data / "small", int(total * 0.15), rng)
    return tree_size(data), small + 2


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def warm_cache(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(MIB):
                    pass


# ------------------------------------------------------------------------------------------ running


@dataclass
class Measure:
    wall: float
    cpu: float  # user + system of the process and the descendants it waited for
    exit_code: int
    others: float  # CPU seconds the rest of the machine used meanwhile (contention)


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat, everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_measured(argv: list[str], env: dict[str, str], output: Path | None) -> Measure:
    """Run `argv`, its stdout+stderr to `output` (or read from a pipe and discarded when None)."""
    sink = output.open("wb") if output is not None else None
    try:
        busy_before = machine_busy()
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink if sink is not None else subprocess.PIPE,
            stderr=sink if sink is not None else subprocess.STDOUT,
        )
        if proc.stdout is not None:
            while proc.stdout.read1(1 << 20):
                pass
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        others = machine_busy() - busy_before - (usage.ru_utime + usage.ru_stime)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if sink is not None:
            sink.close()
    return Measure(wall, usage.ru_utime + usage.ru_stime, proc.returncode, max(0.0, others))


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_", "CONF_"))}
    env["CONF_STATE_DIR"] = str(SCRATCH / "state")  # run history, kept out of /var/lib
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def backup_once(kind: str, index: int, data: Path, scratch: Path) -> Measure:
    run_dir = scratch / "runs" / f"{kind}-{index}"
    target, archive, gnupg = run_dir / "target", run_dir / "archive", run_dir / "gnupg"
    for folder in (target, archive, gnupg):
        folder.mkdir(parents=True)
    gnupg.chmod(0o700)
    command = [
        DUPLICITY,
        "full",
        "--no-print-statistics",
        "-v",
        "warning",
        "--archive-dir",
        str(archive),
        "--name",
        "bench",
        str(data),
        f"file://{target}",
    ]
    env = base_env() | {"PASSPHRASE": PASSPHRASE, "GNUPGHOME": str(gnupg)}
    if kind == "runner":
        env |= {"TASK_bench_LOAD": shlex.join(command), "CONF_WORK_DIR": str(scratch / "work")}
        argv = [RUNNER, "exec", "bench"]
    else:
        argv = command
    log = scratch / "runs" / f"{kind}-{index}.log"
    try:
        measure = run_measured(argv, env, log)
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False, capture_output=True
        )
    if measure.exit_code != 0:
        sys.exit(f"{kind} run {index} failed with exit code {measure.exit_code}; see {log}")
    if not any(target.glob("*.difftar.gpg")):
        sys.exit(f"{kind} run {index} wrote no volume to {target}")
    shutil.rmtree(run_dir)
    return measure


def fixed_cost(repeats: int, scratch: Path) -> tuple[Measure, Measure]:
    """Medians of `bash -c true` bare and as a task's LOAD: what a run costs beyond its steps."""
    env = base_env() | {"PASSPHRASE": PASSPHRASE}
    task_env = env | {"TASK_noop_LOAD": "true", "CONF_WORK_DIR": str(scratch / "work")}
    bare, runner = [], []
    for _ in range(repeats):
        bare.append(run_measured(["bash", "-c", "true"], env, None))
        runner.append(run_measured([RUNNER, "exec", "noop"], task_env, None))

    def median(measures: list[Measure]) -> Measure:
        return Measure(
            statistics.median(m.wall for m in measures),
            statistics.median(m.cpu for m in measures),
            max(m.exit_code for m in measures),
            statistics.median(m.others for m in measures),
        )

    return median(bare), median(runner)


def stream_once(kind: str, lines: int, scratch: Path) -> Measure:
    text = "INSERT INTO t VALUES (42, 'a line of typical length for a dump or a verbose log', 3.14);"
    if kind == "runner, each line holds the secret":
        text += f" -- {PASSPHRASE}"
    producer = f"yes {shlex.quote(text)} | head -n {lines}"
    env = base_env() | {"PASSPHRASE": PASSPHRASE}
    if kind == "bare bash":
        return run_measured(["bash", "-c", producer], env, None)
    env |= {"TASK_spam_LOAD": producer, "CONF_WORK_DIR": str(scratch / "work")}
    if kind == "runner, json":
        env["CONF_LOG_FORMAT"] = "json"
    measure = run_measured([RUNNER, "exec", "spam"], env, None)
    if measure.exit_code != 0:
        sys.exit(f"{kind}: duplicity-cron exec failed with exit code {measure.exit_code}")
    return measure


# ------------------------------------------------------------------------------------------ reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="64 MB, 2 rounds, 200,000 lines")
    parser.add_argument("--rounds", type=int, help="rounds of bare + runner backups (default 3)")
    parser.add_argument("--size-mb", type=int, help="data to generate, MiB (default 1000)")
    parser.add_argument("--lines", type=int, help="lines for the streaming test (default 2,000,000)")
    parser.add_argument("--scratch", default="/var/tmp", help="parent of the scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (and its data)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 3)
    size_mb = args.size_mb or (64 if args.quick else 1000)
    lines = args.lines or (200_000 if args.quick else 2_000_000)
    for tool in (DUPLICITY, RUNNER):
        if not Path(tool).exists():
            sys.exit(f"{tool} not found: run this with the project's venv python")

    global SCRATCH
    scratch = SCRATCH = Path(tempfile.mkdtemp(prefix="duplicity-cron-bench-", dir=args.scratch))
    print(f"scratch folder: {scratch}{' (kept)' if args.keep else ''}")
    print(f"load average at start: {load_average()}")
    try:
        started = time.perf_counter()
        total, files = generate_data(scratch / "data", size_mb)
        warm_cache(scratch / "data")
        print(
            f"generated {total / MIB:.0f} MiB in {files} files in {time.perf_counter() - started:.1f}s "
            "(45 % SQL text, 40 % random binary, 15 % small files)\n"
        )

        repeats = 10 if args.quick else 20
        noop_bare, noop_runner = fixed_cost(repeats, scratch)
        extra_wall, extra_cpu = noop_runner.wall - noop_bare.wall, noop_runner.cpu - noop_bare.cpu
        print(f"fixed cost of a run, median of {repeats}: LOAD `true` as a task vs `bash -c true`")
        table(
            ["", "wall ms", "CPU ms"],
            [
                ["bash -c true", f"{noop_bare.wall * 1000:.1f}", f"{noop_bare.cpu * 1000:.1f}"],
                ["duplicity-cron exec", f"{noop_runner.wall * 1000:.1f}", f"{noop_runner.cpu * 1000:.1f}"],
                ["difference", f"{extra_wall * 1000:+.1f}", f"{extra_cpu * 1000:+.1f}"],
            ],
        )

        rows, ratios, cpu_ratios = [], [], []
        for index in range(1, rounds + 1):
            order = ("bare", "runner") if index % 2 else ("runner", "bare")
            measured = {kind: backup_once(kind, index, scratch / "data", scratch) for kind in order}
            bare, runner = measured["bare"], measured["runner"]
            ratios.append(runner.wall / bare.wall)
            cpu_ratios.append(runner.cpu / bare.cpu)
            rows.append(
                [
                    str(index),
                    " then ".join(order),
                    f"{bare.wall:.2f}",
                    f"{runner.wall:.2f}",
                    f"{ratios[-1]:.3f}",
                    f"{bare.cpu:.2f}",
                    f"{runner.cpu:.2f}",
                    f"{cpu_ratios[-1]:.3f}",
                    f"{runner.cpu - bare.cpu:+.2f}",
                    f"{bare.others:.1f} / {runner.others:.1f}",
                    f"{total / MIB / bare.wall:.1f}",
                ]
            )
            print(f"round {index}: bare {bare.wall:.2f}s, runner {runner.wall:.2f}s", flush=True)
        print(f"\nduplicity full of {total / MIB:.0f} MiB, encrypted, file:// target")
        table(
            [
                "round",
                "order",
                "bare wall s",
                "runner wall s",
                "ratio",
                "bare CPU s",
                "runner CPU s",
                "CPU ratio",
                "CPU diff s",
                "others' CPU s (bare / runner)",
                "bare MiB/s",
            ],
            rows,
        )
        print(
            f"median wall ratio runner/bare: {statistics.median(ratios):.3f} (goal <= 1.02); "
            f"median CPU ratio: {statistics.median(cpu_ratios):.3f}"
        )
        bare_median = statistics.median(float(row[2]) for row in rows)
        print(
            f"fixed cost alone on the median bare backup ({bare_median:.2f}s): ratio "
            f"{(bare_median + extra_wall) / bare_median:.4f} (wall), independent of the machine's other load"
        )
        print(
            "others' CPU s: CPU time the rest of the machine used during the run (other users' load);\n"
            "duplicity + gpg use more than one core, so on 2 cores any other load stretches the wall time.\n"
        )

        kinds = ("bare bash", "runner, text", "runner, json", "runner, each line holds the secret")
        results: dict[str, list[Measure]] = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for kind in kinds:
                results[kind].append(stream_once(kind, lines, scratch))
        bare_wall = statistics.median(m.wall for m in results["bare bash"])
        rows = []
        for kind in kinds:
            wall = statistics.median(m.wall for m in results[kind])
            cpu = statistics.median(m.cpu for m in results[kind])
            others = statistics.median(m.others for m in results[kind])
            rows.append(
                [
                    kind,
                    f"{wall:.2f}",
                    f"{cpu:.2f}",
                    f"{others:.2f}",
                    f"{lines / wall:,.0f}",
                    f"{wall / bare_wall:.1f}",
                ]
            )
        print(f"streaming {lines:,} lines (yes | head -n {lines}), median of {rounds}, output read by a pipe")
        table(["producer", "wall s", "CPU s", "others' CPU s", "lines/s", "x bare"], rows)
        print(f"load average at end: {load_average()}")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
