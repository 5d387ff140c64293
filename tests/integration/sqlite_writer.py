"""An application writing to a SQLite database, as the SQLite tests run it in a process of its own:
`python sqlite_writer.py DB STATS` inserts a row and counts it in `counter` in one transaction, about
100 times a second, until SIGTERM; then writes its commits and its longest commit (seconds: how long
a backup's lock stalled it, at most) into STATS as JSON. It waits for a lock as applications do: a
busy timeout of 5 s."""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
from pathlib import Path

SCHEMA = """CREATE TABLE items (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE counter (n INTEGER NOT NULL);
INSERT INTO counter VALUES (0);"""


def create(path: Path, journal: str, rows: int) -> None:
    """The database the writer writes to: `rows` rows of 200 bytes already, in `journal` mode."""
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        db.executemany("INSERT INTO items (payload) VALUES (randomblob(200))", [()] * rows)
        db.execute("UPDATE counter SET n = ?", (rows,))
        db.execute("COMMIT")
    db.close()


def main(path: str, stats: str) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    db = sqlite3.connect(path, isolation_level=None, timeout=5)
    commits, longest = 0, 0.0
    print("writing", flush=True)
    while not stop:
        started = time.monotonic()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO items (payload) VALUES (randomblob(200))")
        db.execute("UPDATE counter SET n = n + 1")
        db.execute("COMMIT")
        longest = max(longest, time.monotonic() - started)
        commits += 1
        time.sleep(0.01)
    db.close()
    Path(stats).write_text(json.dumps({"commits": commits, "longest_commit": longest}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
