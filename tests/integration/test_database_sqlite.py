"""SQLite files as a task's DATABASE_URL (`sqlite:////path`, a glob), real SQLite, duplicity and gpg:

- under a writer in a process of its own (~100 commits a second; a WAL database, then a rollback-journal
  one), COPIES dumps by the dump program, each drilled by the restore program (integrity_check, the
  manifest's row counts) and read again here: the copy is the database at one instant (the counter the
  writer keeps in the same transaction equals the rows), holding every row committed before the dump
  began; then a backup and a drill with duplicity under the writer. The control: plain file copies of
  the .db (shutil.copy, no -wal) under the same writer, counted, not asserted (docs/how-to/sqlite.md);
- `restore TASK`: refused over existing files, --drop replaces them (every table's full ordered SELECT
  equals the source's at backup time), --database, --to DIR; `verify TASK` passes, and fails on a
  backup whose database is damaged or whose manifest disagrees;
- bad input: not a SQLite file, a database locked longer than the URL's timeout, a glob matching
  nothing, a relative path (a check error, exit 2, naming the key).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.sqlite.dump import decompress
from duplicity_cron.databases.sqlite.paths import dump_file
from duplicity_cron.databases.steps import DumpRequest, RestoreDumpRequest

from . import sqlite_writer
from .backups import PASSPHRASE, Places, places
from .conftest import base_env

pytestmark = pytest.mark.slow
COPIES = 20  # dumps under the writer, per journal mode
WRITER = Path(sqlite_writer.__file__)
PREFILL = 20_000  # rows of 200 bytes: 4.3 MB, 1,059 pages of 4 KiB, five steps of the copy


def sqlite_env(tmp_path: Path, url: str, **keys: str) -> dict[str, str]:
    where = places(tmp_path) if not (tmp_path / "data").exists() else Places(*places_of(tmp_path))
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        "TASK_app_DATABASE_URL": url,
        "TASK_app_TARGET": where.url,
    }
    env.update({f"TASK_app_{key}": value for key, value in keys.items()})
    return env


def places_of(tmp_path: Path) -> tuple[Path, Path, Path]:
    return tmp_path / "data", tmp_path / "target", tmp_path / "cache"


def rows_of(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in order: what a restore must give back byte for byte."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")
        ]
        return {table: db.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall() for table in tables}


def consistency(path: Path, committed_before: int) -> str | None:
    """Why the copy at `path` is not the database at one instant after `committed_before` rows, or None."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                return f"integrity_check: {problems[0]}"
            rows = db.execute("SELECT count(*) FROM items").fetchone()[0]
            counted = db.execute("SELECT n FROM counter").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return f"unreadable: {exc}"
    if rows != counted:
        return f"torn: {rows} rows, the counter says {counted}"
    if rows < committed_before:
        return f"lost: {rows} rows, {committed_before} were committed before the copy"
    return None


def committed(path: Path) -> int:
    with closing(sqlite3.connect(path, timeout=5)) as db:
        return int(db.execute("SELECT n FROM counter").fetchone()[0])


@contextmanager
def writing(path: Path, stats: Path) -> Iterator[subprocess.Popen[str]]:
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(stats)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        time.sleep(0.3)
        yield writer
    finally:
        writer.terminate()
        writer.wait(10)


def run_module(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"duplicity_cron.databases.{module}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_dumps_under_a_writer_are_consistent_copies_and_plain_copies_are_not(tmp_path, cli, journal) -> None:
    database = tmp_path / "files" / "app.db"
    database.parent.mkdir()
    sqlite_writer.create(database, journal, PREFILL)
    url = f"sqlite:///{database}"
    parsed = parse_database_url(url)
    stats = tmp_path / "writer.json"
    locks, seconds, problems, control = [], [], [], []
    restarts = whole = 0
    with writing(database, stats):
        for attempt in range(COPIES):
            src = tmp_path / f"src{attempt}"
            src.mkdir()
            before = committed(database)
            clock = time.monotonic()
            dumped = run_module("dump", {"SRC": str(src), **DumpRequest(parsed, (), None).to_env()})
            seconds.append(time.monotonic() - clock)
            assert dumped.returncode == 0, dumped.stderr
            locks += [float(ms) for ms in re.findall(r"the longest lock ([0-9.]+) ms", dumped.stdout)]
            restarts += sum(int(n) for n in re.findall(r"(\d+) restart\(s\)", dumped.stdout))
            whole += dumped.stdout.count("in one step, after a writer restarted it")
            drill = RestoreDumpRequest("drill", parsed, None, src, task="app")
            drilled = run_module("restore", drill.to_env())
            assert drilled.returncode == 0, drilled.stderr
            assert "as the manifest says" in drilled.stdout
            copy = tmp_path / f"copy{attempt}.db"
            decompress(src / dump_file(str(database)), copy)
            problems.append(consistency(copy, before))
        for attempt in range(COPIES):  # the control: the file copied as it is, without its -wal
            before = committed(database)
            plain = tmp_path / f"plain{attempt}.db"
            shutil.copy(database, plain)
            control.append(consistency(plain, before))
            time.sleep(0.05)
        env = sqlite_env(tmp_path, url)
        backup = cli("exec", "app", env=env, timeout=180)
        assert backup.returncode == 0, backup.output
        drill_run = cli("verify", "app", env=env, timeout=180)
        assert drill_run.returncode == 0, drill_run.output
        assert "integrity ok" in drill_run.output and "as the manifest says" in drill_run.output
    writer = json.loads(stats.read_text())
    print(
        f"\n{journal}: {COPIES} dumps, each {min(seconds):.2f}-{max(seconds):.2f} s; the longest lock of a "
        f"step {max(locks):.1f} ms, {restarts} restart(s), {whole} copied whole; the writer's "
        f"{writer['commits']} commits, the longest "
        f"{writer['longest_commit'] * 1000:.1f} ms; plain copies not consistent: "
        f"{sum(1 for found in control if found)}/{COPIES} {sorted({str(c).split(':')[0] for c in control})}"
    )
    assert problems == [None] * COPIES
    if journal == "wal":  # every step read the one snapshot: no commit started the copy again
        assert restarts == 0
    assert writer["commits"] > 100


def test_restore_in_place_refused_then_dropped_one_database_and_into_a_folder(tmp_path, cli) -> None:
    data = tmp_path / "files"
    data.mkdir()
    sqlite_writer.create(data / "app.db", "wal", 300)
    sqlite_writer.create(data / "side.db", "delete", 200)
    with closing(sqlite3.connect(data / "side.db")) as db:  # a name that needs quoting, a NULL, text
        db.executescript(
            """CREATE TABLE "my table" (k TEXT, v); INSERT INTO "my table" VALUES ('é', NULL);"""
        )
    env = sqlite_env(tmp_path, f"sqlite:///{data}/*.db")
    backup = cli("exec", "app", env=env, timeout=180)
    assert backup.returncode == 0, backup.output
    assert "copied " + str(data / "app.db") + " (wal journal)" in backup.output
    at_backup = {name: rows_of(data / name) for name in ("app.db", "side.db")}
    with closing(sqlite3.connect(data / "app.db", isolation_level=None)) as db:
        db.execute("INSERT INTO items (payload) VALUES (x'00')")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (data / "app.db-wal").write_bytes(b"left by the old file")  # must not be read as the new one's

    refused = cli("restore", "app", env=env, timeout=180)
    assert refused.returncode == 2, refused.output
    assert f"{data}/app.db, {data}/side.db exist(s) already; add --drop to replace them" in refused.output
    assert len(rows_of(data / "app.db")["items"]) == 301

    dropped = cli("restore", "app", "--drop", env=env, timeout=180)
    assert dropped.returncode == 0, dropped.output
    assert f"restored database {data}/app.db into {data}/app.db (replaced)" in dropped.output
    assert not (data / "app.db-wal").exists()  # the old file's WAL went with it
    assert {name: rows_of(data / name) for name in ("app.db", "side.db")} == at_backup

    (data / "side.db").unlink()
    one = cli("restore", "app", "--database", str(data / "side.db"), env=env, timeout=180)
    assert one.returncode == 0, one.output
    assert rows_of(data / "side.db") == at_backup["side.db"]

    folder = tmp_path / "elsewhere"
    into = cli("restore", "app", "--to", str(folder), env=env, timeout=180)
    assert into.returncode == 0, into.output
    assert sorted(path.name for path in folder.iterdir()) == ["app.db", "side.db"]
    assert {name: rows_of(folder / name) for name in ("app.db", "side.db")} == at_backup
    again = cli("restore", "app", "--to", str(folder), env=env, timeout=180)
    assert again.returncode == 2 and "exist(s) already; add --drop" in again.output
    to_url = cli("restore", "app", "--to-url", "sqlite:////x/*.db", env=env, timeout=60)
    assert to_url.returncode == 2 and "use --to DIR" in to_url.output


DAMAGE_PAGE = f"""{sys.executable} -c '
import glob, sys
from duplicity_cron.databases.sqlite.dump import compress, decompress
from pathlib import Path
file = Path(glob.glob(sys.argv[1] + "/databases/*.zst")[0])
plain = file.with_name("plain")
decompress(file, plain)
data = bytearray(plain.read_bytes())
data[4096 * 3 : 4096 * 3 + 200] = bytes(range(200))
plain.write_bytes(data)
compress(plain, file)
plain.unlink()
' "$SRC\""""


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        (None, None),
        (
            'sed -i \'s/"rows": 300,/"rows": 301,/\' "$SRC/manifest.json"',
            "table main.items: 301 rows expected",
        ),
        (DAMAGE_PAGE, "is not a readable SQLite database (database disk image is malformed)"),
    ],
    ids=["passes", "manifest disagrees", "damaged page"],
)
def test_a_drill_passes_and_fails_on_a_damaged_backup(tmp_path, cli, transform, expected) -> None:
    database = tmp_path / "app.db"
    sqlite_writer.create(database, "wal", 300)
    keys = {"TRANSFORM": transform} if transform else {}
    env = sqlite_env(tmp_path, f"sqlite:///{database}", **keys)
    backup = cli("exec", "app", env=env, timeout=180)
    assert backup.returncode == 0, backup.output
    drill = cli("verify", "app", env=env, timeout=180)
    if expected is None:
        assert drill.returncode == 0, drill.output
        assert "each passes PRAGMA integrity_check, and the rows of all 2 tables are the manifest's" in (
            drill.output
        )
    else:
        assert drill.returncode == 1, drill.output
        assert "verify failed: " in drill.output and expected in drill.output, drill.output
        assert "failed step databases" in drill.output


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT count(*) = 300 FROM items", None),
        ("SELECT count(*) > 300 FROM items", "returned '0', not a true value"),
        ("SELECT 1 WHERE 0", "returned no row"),
        ("DELETE FROM items", "attempt to write a readonly database"),
        ("INSERT INTO items (payload) VALUES (x'00') RETURNING 1", "attempt to write a readonly database"),
    ],
    ids=["true", "false", "no row", "a delete is refused", "an insert is refused"],
)
def test_verify_sql_runs_on_the_drills_copy_read_only(tmp_path, cli, statement, expected) -> None:
    database = tmp_path / "app.db"
    sqlite_writer.create(database, "wal", 300)
    env = sqlite_env(tmp_path, f"sqlite:///{database}", VERIFY_SQL=statement)
    backup = cli("exec", "app", env=env, timeout=180)
    assert backup.returncode == 0, backup.output
    before = rows_of(database)
    drill = cli("verify", "app", env=env, timeout=180)
    if expected is None:
        assert drill.returncode == 0, drill.output
        assert ": true on the restored copy of " in drill.output, drill.output
    else:
        assert drill.returncode == 1, drill.output
        assert "verify failed: VERIFY_SQL line 1" in drill.output and expected in drill.output, drill.output
    assert rows_of(database) == before


def test_bad_inputs_say_what_is_wrong_and_back_up_nothing(tmp_path, cli) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database, " * 300)
    env = sqlite_env(tmp_path, f"sqlite:///{junk}")
    target = Path(env["TASK_app_TARGET"].removeprefix("file://"))
    failed = cli("exec", "app", env=env, timeout=120)
    assert failed.returncode == 1, failed.output
    assert f"error: {junk} is not a SQLite database, or is damaged (file is not a database)" in failed.output
    assert not target.exists() or not list(target.iterdir())

    nothing = cli("exec", "app", env=sqlite_env(tmp_path, f"sqlite:///{tmp_path}/none/*.db"), timeout=120)
    assert nothing.returncode == 1 and "the glob matches no file; check DATABASE_URL" in nothing.output

    locked = tmp_path / "locked.db"
    sqlite_writer.create(locked, "delete", 10)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE'); db.execute('INSERT INTO items (payload) VALUES (1)')\n"
         "print('locked', flush=True); time.sleep(60)", str(locked)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        blocked = cli("exec", "app", env=sqlite_env(tmp_path, f"sqlite:///{locked}?timeout=1"), timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert blocked.returncode == 1, blocked.output
    assert f"{locked} stayed locked by another connection for more than 1 s" in blocked.output
    assert not target.exists() or not list(target.iterdir())

    relative = subprocess.run(
        [str(Path(sys.executable).parent / "duplicity-cron"), "check"],
        env=base_env(tmp_path / "work", sqlite_env(tmp_path, "sqlite:///data/app.db")),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert relative.returncode == 2, relative.stdout + relative.stderr
    assert "TASK_app_DATABASE_URL: the path 'data/app.db' is relative" in relative.stdout + relative.stderr
