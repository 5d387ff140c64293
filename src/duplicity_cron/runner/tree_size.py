"""A folder counted as a drill compares it with duplicity's statistics (`targets.verification`): at
backup time SOURCE, at verify time the restore. Entries as duplicity 3.2.1 counts them: the folder
itself, every file, folder, link and fifo below it; links not followed; sockets left out (duplicity
skips them, measured).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..targets.verification import TreeSize


def measure(folder: Path) -> TreeSize:
    """The entries of `folder` and their `st_size`; OSError when a part of it cannot be read."""
    pending = [str(folder)]
    top = os.stat(folder)  # a SOURCE given as a link to a folder is that folder
    entries, total, folder_bytes = 1, top.st_size, top.st_size
    while pending:
        with os.scandir(pending.pop()) as listing:
            for entry in listing:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISSOCK(info.st_mode):
                    continue
                entries += 1
                total += info.st_size
                if stat.S_ISDIR(info.st_mode):
                    folder_bytes += info.st_size
                    pending.append(entry.path)
    return TreeSize(entries, total, folder_bytes)
