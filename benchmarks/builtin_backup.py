#!/usr/bin/env python3
"""The built-in backup (a task with TARGET) vs the same duplicity command written by hand, and `verify`.

    .venv/bin/python benchmarks/builtin_backup.py [--quick] [--rounds N] [--size-mb MB] [--keep]
                                                  [--progress-interval S]

1. Generates the mixed data of `runner_overhead.py` once (SQL-like text, random binary, small files)
   and reads it once to warm the page cache.
2. For each round, in alternating order and each into a fresh target, archive folder and GNUPGHOME:
   - by hand: `duplicity backup --name bench --archive-dir A -v warning DATA file://T` run bare, the
     command a user writes as LOAD;
   - built-in: `duplicity-cron exec bench` with TASK_bench_SOURCE=DATA, TASK_bench_TARGET=file://T,
     all the runner adds included (its options, statistics read, SOURCE counted and what the target
     holds read after: from duplicity's cache here, a fresh target and cache each round).
   Wall and CPU time of the process tree (os.wait4), as in `runner_overhead.py`.
3. After each built-in backup, `duplicity-cron verify bench` of that target (restore into a scratch
   folder, `duplicity verify --compare-data`, counts compared): its time as a ratio of the backup's.

Prints tables; asserts nothing. Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import runner_overhead
from report import load_average, table
from runner_overhead import (
    DUPLICITY,
    MIB,
    PASSPHRASE,
    RUNNER,
    Measure,
    generate_data,
    run_measured,
    warm_cache,
)


def _places(scratch: Path, name: str) -> tuple[Path, Path, Path]:
    run_dir = scratch / "runs" / name
    target, archive, gnupg = run_dir / "target", run_dir / "archive", run_dir / "gnupg"
    for folder in (target, archive, gnupg):
        folder.mkdir(parents=True)
    gnupg.chmod(0o700)
    return target, archive, gnupg


def _env(archive: Path, gnupg: Path) -> dict[str, str]:
    return runner_overhead.base_env() | {
        "PASSPHRASE": PASSPHRASE,
        "GNUPGHOME": str(gnupg),
        "XDG_CACHE_HOME": str(archive),
    }


def _checked(measure: Measure, what: str, log: Path, target: Path) -> Measure:
    if measure.exit_code != 0:
        sys.exit(f"{what} failed with exit code {measure.exit_code}; see {log}")
    if not any(target.glob("*.difftar.gpg")):
        sys.exit(f"{what} wrote no volume to {target}")
    return measure


def _kill_agent(gnupg: Path) -> None:
    argv = ["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"]
    subprocess.run(argv, check=False, capture_output=True)


def by_hand(index: int, data: Path, scratch: Path) -> Measure:
    target, archive, gnupg = _places(scratch, f"hand-{index}")
    command = [DUPLICITY, "backup", "--name", "bench", "--archive-dir", str(archive / "duplicity")]
    command += ["-v", "warning", str(data), f"file://{target}"]
    log = scratch / "runs" / f"hand-{index}.log"
    try:
        measure = run_measured(command, _env(archive, gnupg), log)
    finally:
        _kill_agent(gnupg)
    _checked(measure, f"backup by hand {index}", log, target)
    shutil.rmtree(target.parent)
    return measure


def builtin(index: int, data: Path, scratch: Path, progress: str | None) -> tuple[Measure, Measure]:
    """The built-in backup, then `verify` of what it wrote; `progress`: CONF_PROGRESS_INTERVAL, if set
    (the default, 60 s, runs duplicity with --progress: a first pass over SOURCE before the backup)."""
    target, archive, gnupg = _places(scratch, f"builtin-{index}")
    env = (
        _env(archive, gnupg)
        | ({} if progress is None else {"CONF_PROGRESS_INTERVAL": progress})
        | {
            "CONF_WORK_DIR": str(scratch / "work"),
            "TASK_bench_SOURCE": str(data),
            "TASK_bench_TARGET": f"file://{target}",
        }
    )
    log = scratch / "runs" / f"builtin-{index}.log"
    backup = _checked(run_measured([RUNNER, "exec", "bench"], env, log), f"built-in {index}", log, target)
    verify_log = scratch / "runs" / f"verify-{index}.log"
    verify = run_measured([RUNNER, "verify", "bench"], env, verify_log)
    if verify.exit_code != 0:
        sys.exit(f"verify {index} failed with exit code {verify.exit_code}; see {verify_log}")
    shutil.rmtree(target.parent)
    return backup, verify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="64 MB, 2 rounds")
    parser.add_argument("--rounds", type=int, help="rounds (default 3)")
    parser.add_argument("--size-mb", type=int, help="data to generate, MiB (default 1000)")
    parser.add_argument("--scratch", default="/var/tmp", help="parent of the scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (and its data)")
    parser.add_argument("--progress-interval", help="CONF_PROGRESS_INTERVAL of the built-in (default: unset)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 3)
    size_mb = args.size_mb or (64 if args.quick else 1000)
    for tool in (DUPLICITY, RUNNER):
        if not Path(tool).exists():
            sys.exit(f"{tool} not found: run this with the project's venv python")
    scratch = Path(tempfile.mkdtemp(prefix="duplicity-cron-builtin-", dir=args.scratch))
    runner_overhead.SCRATCH = scratch  # base_env() keeps the run history in it
    print(f"scratch folder: {scratch}{' (kept)' if args.keep else ''}")
    print(f"load average at start: {load_average()}")
    print(
        f"CONF_PROGRESS_INTERVAL of the built-in: {args.progress_interval or 'unset (backups: no progress)'}"
    )
    try:
        started = time.perf_counter()
        total, files = generate_data(scratch / "data", size_mb)
        warm_cache(scratch / "data")
        print(f"generated {total / MIB:.0f} MiB in {files} files in {time.perf_counter() - started:.1f}s\n")
        rows, ratios, cpu_ratios, verify_ratios = [], [], [], []
        for index in range(1, rounds + 1):
            order = ("hand", "builtin") if index % 2 else ("builtin", "hand")
            for kind in order:
                if kind == "hand":
                    hand = by_hand(index, scratch / "data", scratch)
                else:
                    built, verify = builtin(index, scratch / "data", scratch, args.progress_interval)
            ratios.append(built.wall / hand.wall)
            cpu_ratios.append(built.cpu / hand.cpu)
            verify_ratios.append(verify.wall / built.wall)
            rows.append([
                str(index), " then ".join(order), f"{hand.wall:.2f}", f"{built.wall:.2f}",
                f"{ratios[-1]:.3f}", f"{hand.cpu:.2f}", f"{built.cpu:.2f}", f"{cpu_ratios[-1]:.3f}",
                f"{verify.wall:.2f}",
                f"{verify_ratios[-1]:.2f}",
                f"{hand.others:.1f} / {built.others:.1f}",
            ])  # fmt: skip
            print(
                f"round {index}: by hand {hand.wall:.2f}s, built-in {built.wall:.2f}s, "
                f"verify {verify.wall:.2f}s",
                flush=True,
            )
        print(f"\nfull backup of {total / MIB:.0f} MiB, encrypted, file:// target")
        table(
            ["round", "order", "hand wall s", "built-in wall s", "ratio", "hand CPU s", "built-in CPU s",
             "CPU ratio", "verify wall s", "verify/backup", "others' CPU s (hand / built-in)"],
            rows,
        )  # fmt: skip
        print(
            f"median wall ratio built-in/by hand: {statistics.median(ratios):.3f} (goal <= 1.02); "
            f"median CPU ratio: {statistics.median(cpu_ratios):.3f}; "
            f"median verify/backup: {statistics.median(verify_ratios):.2f}"
        )
        print(f"load average at end: {load_average()}")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
