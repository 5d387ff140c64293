#!/usr/bin/env python3
"""The built-in database dump + backup vs the original's recipe, on real PostgreSQL and MariaDB servers.

    .venv/bin/python benchmarks/database.py [--quick] [--rounds N] [--scale S] [--engine E]

Run as root on a host with Debian's postgresql, pgbench, mariadb-server and zstd (scripts/test.sh
installs them). For each engine (`--engine postgresql|mariadb|both`, default both):
1. Starts a server (tests/database_servers.py) and fills it: PostgreSQL `pgbench -i -s S` (S=60 is
   ~1 GB on disk), MariaDB a pgbench-like `accounts` table of the same rows; plus a text-heavy database
   (800k rows of prose-like text at S=60, scaled with S).
2. Full backup, for each round in alternating order, each into a fresh file:// target and cache:
   - original: EXTRACT `pg_dumpall > $SRC/all.sql` / `mysqldump --all-databases > $SRC/all.sql`, LOAD
     `duplicity full` with duplicity's defaults;
   - ours: TASK_bench_DATABASE_URL + TASK_bench_TARGET (the built-in dump and backup).
   Wall time of `duplicity-cron exec`, the target's size, and CPU seconds: the command's process tree
   (GNU time), the server's (/proc), the rest of the machine's (/proc/stat: other sessions).
3. Nightly incremental after 1 % of the big table's rows changed: each task's second run into its last
   round's target (original: `duplicity incremental`), wall time and bytes added to the target.
4. Restore into an empty server (a new one each time), interleaved: the original `psql -f all.sql` /
   `mariadb < all.sql`; "serial", the restore as it was until the parallel load: the globals, then every
   database's `zstd -dc | psql` (`| mariadb`), two at once; ours, the restore program itself
   (`python -m duplicity_cron.databases.restore`, each database's rows and keys on `--jobs N`
   connections, CONF_RESTORE_JOBS; default 1). Wall time, and the peak RSS of the largest process
   (the runner's included; the server's memory not counted). `--restore-only` skips steps 2 and 3.
Prints ratios ours / original and the machine's load; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from duplicity_cron.databases import parse_database_url  # noqa: E402
from duplicity_cron.databases.steps import DumpRequest, RestoreDumpRequest  # noqa: E402
from tests.database_servers import MARIADB_PASSWORD, PG_PASSWORD, MariaDB, Postgres  # noqa: E402

BIN = Path(sys.executable).parent
PASSPHRASE = "benchmark passphrase"
RESTORE_JOBS = [1]  # CONF_RESTORE_JOBS of "ours" (--jobs)
Server = Postgres | MariaDB
PROSE = "repeat('the quick brown fox jumps over the lazy dog ' || (g % 977) || ' ', 5) || md5(g::text)"


def _fill(server: Server, scale: int) -> None:
    rows = 800_000 * scale // 60
    if isinstance(server, MariaDB):
        server.sql(
            "CREATE DATABASE bench; CREATE DATABASE prose; USE bench; CREATE TABLE accounts (aid INT "
            "PRIMARY KEY, bid INT NOT NULL, abalance INT NOT NULL, filler VARCHAR(84)) ENGINE=InnoDB; "
            "INSERT INTO accounts SELECT seq, 1 + seq DIV 100000, 0, REPEAT(' ', 84) "
            f"FROM seq_1_to_{100_000 * scale}; USE prose; CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);"
            " "
            "INSERT INTO notes SELECT seq, CONCAT(REPEAT(CONCAT('the quick brown fox jumps over the "
            f"lazy dog ', seq % 977, ' '), 5), MD5(seq)) FROM seq_1_to_{rows};"
        )
        return
    env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
    server.sql("CREATE DATABASE bench; CREATE DATABASE prose;")
    subprocess.run(["pgbench", "-q", "-i", "-s", str(scale), "-h", "127.0.0.1", "-p", str(server.port),
                    "-U", "postgres", "bench"], env=env, check=True, capture_output=True)  # fmt: skip
    server.sql(
        f"CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, {PROSE} "
        f"FROM generate_series(1, {rows}) g;",
        "prose",
    )


def _change_one_percent(server: Server) -> None:
    if isinstance(server, MariaDB):
        server.sql("UPDATE bench.accounts SET abalance = abalance + 1 WHERE aid % 100 = 0;")
    else:
        server.sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0", "bench")


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds of a process, its threads and the children it has reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _server_cpu(server: Server) -> float:
    """The server's CPU seconds so far: mariadbd's threads, or the postmaster's and the backends it
    reaped (server.proc is runuser, the postmaster its child)."""
    if isinstance(server, MariaDB):
        return _process_cpu(server.proc.pid)
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    return _process_cpu(int(children[0]))


class Cpu:
    """CPU seconds during one command: its own (and what it waited for), the server's, the rest of the
    machine's (other sessions share it; the gpg-agent a run leaves is counted there)."""

    def __init__(self, ours: float, server: float, machine: float) -> None:
        self.ours, self.server, self.others = ours, server, max(0.0, machine - ours - server)


SERVERS: list[Server] = []  # the server a command talks to (its CPU is measured around the command)


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, Cpu]:
    """(wall seconds, peak RSS in MB of the largest process, CPU) of a command run to success. GNU time
    measures it: its rusage covers the command and every process it waited for (a process forked from
    this Python would count this Python's memory as its own)."""
    with tempfile.NamedTemporaryFile() as peak, tempfile.TemporaryFile() as output:
        server0, machine0 = sum(map(_server_cpu, SERVERS)), _machine_busy()
        clock = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", peak.name, *argv], env=env,
                              stdout=output, stderr=subprocess.STDOUT, check=False)  # fmt: skip
        seconds = time.monotonic() - clock
        server, machine = sum(map(_server_cpu, SERVERS)) - server0, _machine_busy() - machine0
        if proc.returncode != 0:
            output.seek(0)
            raise SystemExit(f"{argv[:3]} failed:\n{output.read()[-4000:].decode(errors='replace')}")
        rss, user, system = Path(peak.name).read_text().split()[-3:]
        return seconds, int(rss) / 1024, Cpu(float(user) + float(system), server, machine)


def _client_env(server: Server, scratch: Path) -> dict[str, str]:
    env = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(scratch), "PASSPHRASE": PASSPHRASE}
    if isinstance(server, MariaDB):
        env["MYSQL_PWD"] = MARIADB_PASSWORD
    else:
        env.update(PGHOST="127.0.0.1", PGPORT=str(server.port), PGUSER="postgres", PGPASSWORD=PG_PASSWORD)
    return env


def _original_dump(server: Server) -> str:
    if isinstance(server, MariaDB):
        return f'mysqldump -h 127.0.0.1 -P {server.port} -u backup --all-databases > "$SRC/all.sql"'
    return 'pg_dumpall > "$SRC/all.sql"'


def _url(server: Server) -> str:
    if isinstance(server, MariaDB):
        return f"mariadb://backup@127.0.0.1:{server.port}/"
    return f"postgresql://postgres@127.0.0.1:{server.port}/"


def _env(kind: str, scratch: Path, server: Server, target: Path, command: str) -> dict[str, str]:
    env = {
        **_client_env(server, scratch),
        "XDG_CACHE_HOME": str(target.parent / "cache"),
        "CONF_WORK_DIR": str(scratch / "work" / kind),
        "CONF_STATE_DIR": str(scratch / "state" / kind),
    }
    url = f"file://{target}"
    if kind == "ours":
        password = MARIADB_PASSWORD if isinstance(server, MariaDB) else PG_PASSWORD
        env.update(TASK_bench_DATABASE_URL=_url(server), TASK_bench_DATABASE_PASSWORD=password,
                   TASK_bench_TARGET=url)  # fmt: skip
    else:
        env.update(TASK_bench_EXTRACT=_original_dump(server),
                   TASK_bench_LOAD=f'duplicity {command} --name bench "$SRC" {url}')  # fmt: skip
    return env


def _exec(env: dict[str, str], cpu: list[Cpu]) -> float:
    seconds, _rss, used = _timed([str(BIN / "duplicity-cron"), "exec", "bench"], env)
    cpu.append(used)
    return seconds


def _backups(server: Server, scratch: Path, rounds: int) -> dict[str, object]:
    times: dict[str, list[float]] = {"original": [], "ours": []}
    cpu: dict[str, list[Cpu]] = {"original": [], "ours": []}
    sizes: dict[str, int] = {}
    targets: dict[str, Path] = {}
    for round_no in range(rounds):
        order = ("original", "ours") if round_no % 2 == 0 else ("ours", "original")
        for kind in order:
            target = scratch / f"{kind}-{round_no}" / "target"
            target.mkdir(parents=True)
            times[kind].append(_exec(_env(kind, scratch, server, target, "full"), cpu[kind]))
            sizes[kind], targets[kind] = _size(target), target
    _change_one_percent(server)
    incremental: dict[str, tuple[float, int]] = {}
    cpu.update({"original incremental": [], "ours incremental": []})
    for kind in ("original", "ours"):
        before = _size(targets[kind])
        seconds = _exec(_env(kind, scratch, server, targets[kind], "incremental"), cpu[kind + " incremental"])
        incremental[kind] = (seconds, _size(targets[kind]) - before)
    return {"times": times, "sizes": sizes, "incremental": incremental, "cpu": cpu}


def _dumps(server: Server, scratch: Path) -> tuple[Path, Path]:
    """The original's all.sql and our dump folder, made once for the restores."""
    env = _client_env(server, scratch)
    original, ours = scratch / "restore-original", scratch / "restore-ours"
    original.mkdir()
    ours.mkdir()
    subprocess.run(["bash", "-c", _original_dump(server)], env={**env, "SRC": str(original)}, check=True)
    password = MARIADB_PASSWORD if isinstance(server, MariaDB) else PG_PASSWORD
    request = DumpRequest(parse_database_url(_url(server)), (), password).to_env()
    subprocess.run([sys.executable, "-m", "duplicity_cron.databases.dump"], check=True, capture_output=True,
                   env={**env, "SRC": str(ours), **request})  # fmt: skip
    return original / "all.sql", ours


def _loader(server: Server) -> str:
    if isinstance(server, MariaDB):
        return f"mariadb --no-defaults -uroot --socket={server.socket}"
    return f"psql -X -q -h 127.0.0.1 -p {server.port} -U postgres -d postgres"


def _restore(kind: str, engine: type[Server], dumps: tuple[Path, Path], scratch: Path) -> tuple[float, float]:
    """Wall time and peak client RSS of loading a dump into a new, empty server."""
    empty = engine()
    try:
        env = _client_env(empty, scratch)
        loader = _loader(empty)
        if kind == "original":
            return _timed(["bash", "-c", f"{loader} < {dumps[0]} > /dev/null"], env)[:2]
        folder = dumps[1]
        if kind == "ours":
            password = MARIADB_PASSWORD if isinstance(empty, MariaDB) else PG_PASSWORD
            request = RestoreDumpRequest(
                "restore", parse_database_url(_url(empty)), password, folder, jobs=RESTORE_JOBS[0]
            )
            argv = [sys.executable, "-m", "duplicity_cron.databases.restore"]
            return _timed(argv, {**env, **request.to_env(), "PYTHONPATH": str(REPO / "src")})[:2]
        first = _timed(["bash", "-c", f"{loader} < {folder / 'globals.sql'} > /dev/null 2>&1 || true"], env)
        files = sorted((folder / "databases").iterdir(), key=lambda path: -path.stat().st_size)
        clock = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda path: _timed(["bash", "-c", f"set -o pipefail; zstd -dc {path} | "
                                                         f"{loader} > /dev/null"], env), files))  # fmt: skip
        return first[0] + time.monotonic() - clock, max([first[1], *(rss for _s, rss, _cpu in results)])
    finally:
        empty.stop()


def _restores(engine: type[Server], server: Server, scratch: Path, rounds: int) -> dict[str, list[tuple]]:
    dumps = _dumps(server, scratch)
    results: dict[str, list[tuple]] = {"original": [], "serial": [], "ours": []}
    for round_no in range(rounds):
        kinds = ("original", "serial", "ours")
        for kind in kinds if round_no % 2 == 0 else kinds[::-1]:
            results[kind].append(_restore(kind, engine, dumps, scratch))
    return results


def _report(name: str, scale: int, rounds: int, backups: dict, restores: dict, load: tuple) -> None:
    full = {kind: statistics.median(values) for kind, values in backups["times"].items()}
    sizes = backups["sizes"]
    (o_s, o_b), (u_s, u_b) = backups["incremental"]["original"], backups["incremental"]["ours"]
    restore = {kind: statistics.median(s for s, _rss in values) for kind, values in restores.items()}
    rss = {kind: max(r for _s, r in values) for kind, values in restores.items()}
    print(
        f"\n{name}, scale {scale} + prose; {rounds} interleaved rounds (restore {len(restores['ours'])});"
        f" {os.cpu_count()} CPUs; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    print("| | original | ours | ours / original |\n|---|---|---|---|")
    rows = [
        ("full backup, median s", full["original"], full["ours"]),
        ("full backup, all rounds s", None, None),
        ("target MB", sizes["original"] / 1e6, sizes["ours"] / 1e6),
        ("incremental (1 % changed), s", o_s, u_s),
        ("incremental, MB added", o_b / 1e6, u_b / 1e6),
        ("restore into an empty server, median s", restore["original"], restore["ours"]),
        ("restore as it was (serial), median s", restore["original"], restore["serial"]),
        ("restore, peak RSS of a process, MB", rss["original"], rss["ours"]),
    ]
    cpu = backups["cpu"]
    for label, original, ours in rows:
        if label == "full backup, all rounds s":
            for part in ("ours", "server", "others"):
                shown = {
                    kind: " ".join(f"{getattr(c, part):.1f}" for c in cpu[kind])
                    for kind in ("original", "ours")
                }
                print(f"| full backup, CPU s of {part} (rounds) | {shown['original']} | {shown['ours']} | |")
            for part in ("ours", "server", "others"):
                shown = {k: f"{getattr(cpu[k + ' incremental'][0], part):.1f}" for k in ("original", "ours")}
                print(f"| incremental, CPU s of {part} | {shown['original']} | {shown['ours']} | |")
        if original is None:
            shown = {kind: " ".join(f"{s:.1f}" for s in values) for kind, values in backups["times"].items()}
            print(f"| {label} | {shown['original']} | {shown['ours']} | |")
            continue
        print(f"| {label} | {original:.2f} | {ours:.2f} | {ours / max(original, 1e-9):.2f} |")


def _report_restores(name: str, scale: int, restores: dict, load: tuple) -> None:
    print(
        f"\n{name}, scale {scale} + prose; {len(restores['ours'])} interleaved restores, ours on "
        f"{RESTORE_JOBS[0]} connections; {os.cpu_count()} "
        f"CPUs; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    print("| | seconds (rounds) | median | / original | peak RSS MB |\n|---|---|---|---|---|")
    original = statistics.median(s for s, _rss in restores["original"])
    for kind in ("original", "serial", "ours"):
        seconds = [s for s, _rss in restores[kind]]
        median = statistics.median(seconds)
        rounds = " ".join(f"{value:.2f}" for value in seconds)
        rss = max(r for _s, r in restores[kind])
        print(f"| {kind} | {rounds} | {median:.2f} | {median / original:.2f} | {rss:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="scale 5 (~80 MB), 3 rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=int, default=60)
    parser.add_argument("--engine", choices=("postgresql", "mariadb", "both"), default="both")
    parser.add_argument("--restore-only", action="store_true", help="only the restores (step 4)")
    parser.add_argument("--jobs", type=int, default=1, help="CONF_RESTORE_JOBS of ours (0: auto)")
    args = parser.parse_args()
    RESTORE_JOBS[:] = [args.jobs]
    scale = 5 if args.quick else args.scale
    engines = {"postgresql": [Postgres], "mariadb": [MariaDB], "both": [Postgres, MariaDB]}[args.engine]
    for engine in engines:
        load = os.getloadavg()
        server = engine()
        SERVERS[:] = [server]
        scratch = Path(tempfile.mkdtemp(prefix="dct-bench-db-"))
        try:
            _fill(server, scale)
            name = "MariaDB" if engine is MariaDB else "PostgreSQL"
            if args.restore_only:
                _report_restores(name, scale, _restores(engine, server, scratch, args.rounds), load)
                continue
            backups = _backups(server, scratch, args.rounds)
            restores = _restores(engine, server, scratch, min(args.rounds, 2))
            _report(name, scale, args.rounds, backups, restores, load)
        finally:
            server.stop()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
