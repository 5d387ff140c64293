"""SOURCE looked at just before the built-in backup (`task_run._Run`), after PREPARE, EXTRACT and
TRANSFORM, which may make or fill it:

- a link is followed, and the log names where it leads: duplicity given a link backs up the link alone
  (one entry) and succeeds, and a restore gives back a link to the live folder, not its content;
- anything but a folder (after links) fails the run with one line naming TASK_<id>_SOURCE: duplicity
  backs up a file, but no drill of it can pass;
- a file:// TARGET inside it, or holding it, links resolved, fails the run (`config` refuses what the
  paths as written show; a link can hide it);
- it is counted and judged against the last backup (`targets.source_shrink`): a warning, or with
  ON_SHRINK=fail a failure before anything is written.

A SOURCE that does not exist is left to duplicity (which fails the run).
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ..config.duplicity_values import file_target_folder, nesting_problem
from ..model import BackupStats, Task
from ..state import history
from ..targets.source_shrink import shrink_finding
from ..targets.verification import made_a_backup
from .tree_size import measure

# (level, message): told by the run, in its log and output tail
Say = Callable[[str, str], None]

_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISLNK, "a link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_problem(task_id: str, source: str) -> str | None:
    """SOURCE exists and is not a folder, links followed: the line that says so. None for a folder, and
    for a SOURCE that does not exist (yet: a PREPARE step may make it)."""
    try:
        mode = os.stat(source).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    if os.path.islink(source):
        kind = f"a link to {kind} ({os.path.realpath(source)})"
    return (
        f"TASK_{task_id}_SOURCE: {source} is {kind}, not a folder; SOURCE must be a folder (or a link to one)"
    )


def last_backup_stats(task_id: str, state_dir: Path) -> BackupStats | None:
    """The statistics of the newest recorded run that made a backup and has them (unreadable records
    passed over, as everywhere)."""
    runs = reversed(history.load_runs(state_dir, task_id))
    return next((run.backup for run in runs if made_a_backup(run) and run.backup is not None), None)


def checked_source(task: Task, src: str, state_dir: Path, say: Say) -> str | None:
    """The folder the built-in backup is to back up (links resolved), or None: the run fails, said."""
    given = task.source or src
    real = os.path.realpath(given)
    if real != posixpath.normpath(given):
        say("info", f"SOURCE {given} is a symbolic link to {real} (or lies under one): backing up {real}")
    problem = kind_problem(task.id, given)
    if problem is None and task.target is not None and (folder := file_target_folder(task.target)):
        problem = nesting_problem(task.id, "file://" + quote(os.path.realpath(folder)), real, "")
    if problem is not None:
        say("error", problem)
        return None
    try:
        now = measure(Path(real))
    except FileNotFoundError:
        return real  # duplicity says it is missing
    except OSError as exc:
        say("warning", f"cannot count SOURCE before the backup ({exc}); it is not compared with the last")
        return real
    finding = shrink_finding(task, given, now, last_backup_stats(task.id, state_dir))
    if finding is not None:
        say("error" if finding.fails else "warning", finding.message)
        if finding.fails:
            return None
    return real
