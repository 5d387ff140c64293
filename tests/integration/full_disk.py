"""A command run with a full file system at a folder: a 64 KiB tmpfs, filled, mounted in a private mount
namespace (`unshare -m` as root, `unshare -rm` otherwise), so nothing outside the test sees it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .conftest import COMMAND, Completed, base_env, require

_SCRIPT = """
set -e
mount -t tmpfs -o size=64k duplicity-cron-test "$1"
cat /dev/zero > "$1/fill" 2>/dev/null || true
shift
exec "$@"
"""


def on_a_full_disk(
    folder: Path, work_dir: Path, args: Sequence[str], env: Mapping[str, str] = ()
) -> Completed:
    """Run `duplicity-cron ARGS` while `folder` is a full file system."""
    folder.mkdir(parents=True, exist_ok=True)
    unshare = [require("unshare"), "-m"] if os.geteuid() == 0 else [require("unshare"), "-rm"]
    proc = subprocess.run(
        [*unshare, "sh", "-c", _SCRIPT, "sh", str(folder), COMMAND, *args],
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
