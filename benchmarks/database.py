#!/usr/bin/env python3
"""The built-in database dump + backup vs the original's recipe, on a real PostgreSQL server.

    .venv/bin/python benchmarks/database.py [--quick] [--rounds N] [--scale S]

Run as root on a host with Debian's postgresql, pgbench and zstd (scripts/test.sh installs them).
1. Starts a PostgreSQL server (tests/database_servers.py) and fills it: `pgbench -i -s S` (S=60 is
   ~1 GB on disk) plus a text-heavy database (800k rows of prose-like text at S=60, scaled with S).
2. Full backup, for each round in alternating order, each into a fresh file:// target and cache:
   - original: EXTRACT `pg_dumpall > $SRC/all.sql`, LOAD `duplicity full` with duplicity's defaults;
   - ours: TASK_bench_DATABASE_URL + TASK_bench_TARGET (the built-in dump and backup).
   Wall time of `duplicity-cron exec` and the target's size.
3. Nightly incremental after 1 % of pgbench_accounts' rows changed: each task's second run into its
   last round's target (original: `duplicity incremental`), wall time and bytes added to the target.
Prints ratios ours / original; asserts nothing. MariaDB and the restore timings are not measured yet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.database_servers import PG_PASSWORD, Postgres  # noqa: E402

BIN = Path(sys.executable).parent
PASSPHRASE = "benchmark passphrase"


def _fill(server: Postgres, scale: int) -> None:
    env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
    server.sql("CREATE DATABASE bench; CREATE DATABASE prose;")
    subprocess.run(["pgbench", "-q", "-i", "-s", str(scale), "-h", "127.0.0.1", "-p", str(server.port),
                    "-U", "postgres", "bench"], env=env, check=True, capture_output=True)  # fmt: skip
    rows = 800_000 * scale // 60
    server.sql(
        "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, "
        "repeat('the quick brown fox jumps over the lazy dog ' || (g % 977) || ' ', 5) "
        f"|| md5(g::text) FROM generate_series(1, {rows}) g;",
        "prose",
    )


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _exec(env: dict[str, str]) -> float:
    clock = time.monotonic()
    proc = subprocess.run([str(BIN / "duplicity-cron"), "exec", "bench"], env=env, capture_output=True,
                          text=True)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    return time.monotonic() - clock


def _env(kind: str, scratch: Path, server: Postgres, target: Path, command: str) -> dict[str, str]:
    env = {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "HOME": str(scratch),
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(target.parent / "cache"),
        "CONF_WORK_DIR": str(scratch / "work" / kind),
        "CONF_STATE_DIR": str(scratch / "state" / kind),
        "PGHOST": "127.0.0.1", "PGPORT": str(server.port), "PGUSER": "postgres", "PGPASSWORD": PG_PASSWORD,
    }  # fmt: skip
    url = f"file://{target}"
    if kind == "ours":
        env.update(TASK_bench_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{server.port}/",
                   TASK_bench_TARGET=url)  # fmt: skip
    else:
        env.update(TASK_bench_EXTRACT='pg_dumpall > "$SRC/all.sql"',
                   TASK_bench_LOAD=f'duplicity {command} --name bench "$SRC" {url}')  # fmt: skip
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="scale 5 (~80 MB), 3 rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=int, default=60)
    args = parser.parse_args()
    scale = 5 if args.quick else args.scale
    server = Postgres()
    try:
        _fill(server, scale)
        scratch = Path(tempfile.mkdtemp(prefix="dct-bench-db-"))
        times: dict[str, list[float]] = {"original": [], "ours": []}
        sizes: dict[str, int] = {}
        targets: dict[str, Path] = {}
        for round_no in range(args.rounds):
            order = ("original", "ours") if round_no % 2 == 0 else ("ours", "original")
            for kind in order:
                target = scratch / f"{kind}-{round_no}" / "target"
                target.mkdir(parents=True)
                times[kind].append(_exec(_env(kind, scratch, server, target, "full")))
                sizes[kind], targets[kind] = _size(target), target
        server.sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0", "bench")
        incremental: dict[str, tuple[float, int]] = {}
        for kind in ("original", "ours"):
            before = _size(targets[kind])
            seconds = _exec(_env(kind, scratch, server, targets[kind], "incremental"))
            incremental[kind] = (seconds, _size(targets[kind]) - before)
        full = {kind: statistics.median(values) for kind, values in times.items()}
        print(
            f"PostgreSQL, pgbench scale {scale} + prose; {args.rounds} interleaved rounds; "
            f"{os.cpu_count()} CPUs"
        )
        print("| | original | ours | ours / original |\n|---|---|---|---|")
        print(f"| full backup, median s | {full['original']:.2f} | {full['ours']:.2f} | "
              f"{full['ours'] / full['original']:.2f} |")  # fmt: skip
        print(f"| target MB | {sizes['original'] / 1e6:.1f} | {sizes['ours'] / 1e6:.1f} | "
              f"{sizes['ours'] / sizes['original']:.2f} |")  # fmt: skip
        (o_s, o_b), (u_s, u_b) = incremental["original"], incremental["ours"]
        print(f"| incremental (1 % changed), s | {o_s:.2f} | {u_s:.2f} | {u_s / o_s:.2f} |")
        print(f"| incremental, MB added | {o_b / 1e6:.2f} | {u_b / 1e6:.2f} | {u_b / max(o_b, 1):.2f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
