"""A command run with a full or read-only file system at a folder: a 64 KiB tmpfs mounted in a private
mount namespace (`unshare -m` as root, `unshare -rm` otherwise), so nothing outside the test sees it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .conftest import COMMAND, Completed, base_env, require

_SCRIPT = """
set -e
folder=$1 seed=$2 how=$3
shift 3
mount -t tmpfs -o size=64k duplicity-cron-test "$folder"
if [ -n "$seed" ]; then cp -a "$seed/." "$folder/"; fi
case $how in
  full) cat /dev/zero > "$folder/fill" 2>/dev/null || true ;;
  read-only) mount -o remount,ro "$folder" ;;
esac
exec "$@"
"""


def on_a_full_disk(
    folder: Path,
    work_dir: Path,
    args: Sequence[str],
    env: Mapping[str, str] = (),
    seed: Path | None = None,
    how: str = "full",
) -> Completed:
    """Run `duplicity-cron ARGS` while `folder` is a full (or, with how="read-only", a read-only) file
    system holding a copy of `seed`'s files."""
    folder.mkdir(parents=True, exist_ok=True)
    unshare = [require("unshare"), "-m"] if os.geteuid() == 0 else [require("unshare"), "-rm"]
    proc = subprocess.run(
        [*unshare, "sh", "-c", _SCRIPT, "sh", str(folder), str(seed or ""), how, COMMAND, *args],
        env=base_env(work_dir, dict(env)),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "mount:" not in proc.stderr and "unshare:" not in proc.stderr, (
        f"cannot mount a tmpfs in a private mount namespace here: {proc.stderr}"
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)
