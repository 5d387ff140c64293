"""Changing backed-up files so that duplicity's next incremental sees them, on a machine of any speed.

Duplicity takes a file as unchanged when its mtime has the same whole second as in the signatures
(`ROPath.__eq__`: sizes are not compared), so a file made and rewritten within one second, as a fast
test does around a backup, would stay at its first version in the backups. The tests are about other
things; they rewrite such files with `rewrite`, which moves the new mtime on by at most a second, or,
where the folders' own times count too, change the tree after `wait_for_the_next_second` (in
tests/integration/backups.py: it is the runner's own wait, and the image tests' venv has no runner)."""

from __future__ import annotations

import os
from pathlib import Path


def rewrite(path: Path, content: str | bytes) -> None:
    """Write `content` to `path` with an mtime whose whole second differs from the one it had."""
    before = int(path.stat().st_mtime)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    after = path.stat()
    if int(after.st_mtime) == before:
        later = (before + 1) * 1_000_000_000
        os.utime(path, ns=(after.st_atime_ns, later))
