"""What a drill (`verify TASK`) checks, and how it says why it failed. Pure: the runner restores, walks
the restored tree and runs `duplicity verify`; this module judges.

The count rule. Duplicity's statistics count every entry it backed up (`SourceFiles`: files, folders,
links, fifos, the top folder included; sockets are skipped) and add up their `st_size`
(`SourceFileSize`), folders included. A folder's own size belongs to the file system (4096 on ext4, a
few dozen bytes on tmpfs, the names' length on btrfs), so a restore elsewhere differs in folder bytes
only. A drill therefore compares:

- the number of entries restored (the restore folder counted as the top folder) with `SourceFiles`:
  a missing file or folder fails;
- the bytes of everything but folders with `BackupStats.file_bytes`, which the runner measures right
  after the backup by walking SOURCE the same way, and keeps only when its walk found exactly
  duplicity's entries and bytes: a truncated or missing file fails, a folder size never does.

What cannot be compared is said, never claimed: no backup run recorded in the history (a task's own
LOAD, a lost history), statistics without `file_bytes` (excludes in OPTIONS, a SOURCE that changed
during the backup), a backup with read errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import BackupStats, RunResult, Status
from .duplicity_errors import explain

# Steps after `load`: a run that failed there still made its backup.
_AFTER_LOAD = ("retention", "succeed", "finally")
_DIFFERENCE = "Difference found:"


@dataclass(frozen=True)
class TreeSize:
    """A folder as a drill counts it: entries (the folder itself included, sockets left out, links not
    followed), the `st_size` of them all, and of its folders alone."""

    entries: int
    bytes: int
    folder_bytes: int

    @property
    def file_bytes(self) -> int:
        return self.bytes - self.folder_bytes


def file_bytes_if_agreeing(stats: BackupStats, walk: TreeSize) -> int | None:
    """The walk's non-folder bytes when it saw what duplicity saw (same entries, same bytes), else None."""
    if walk.entries == stats.source_files and walk.bytes == stats.source_bytes:
        return walk.file_bytes
    return None


def made_a_backup(run: RunResult) -> bool:
    """The run's load step succeeded: the run succeeded, or failed only after load."""
    if run.trigger.is_drill or not run.status.is_run:
        return False
    return run.status is Status.SUCCEEDED or run.failed_step in _AFTER_LOAD


def latest_backup(newest_first: Iterable[RunResult]) -> RunResult | None:
    """The newest recorded run that made a backup: the target's latest, if only the runner writes it."""
    return next((run for run in newest_first if made_a_backup(run)), None)


@dataclass(frozen=True)
class CountCheck:
    problem: str | None  # why the drill fails; None: what was compared matched
    note: str  # what was compared, or why not


def check_counts(backup: RunResult | None, restored: TreeSize) -> CountCheck:
    """The restore against what the latest backup run recorded (see the module's rule)."""
    if backup is None:
        return CountCheck(None, "counts not compared: no backup run of this task is recorded")
    when = backup.ended.isoformat(timespec="seconds")
    stats = backup.backup
    if stats is None:
        return CountCheck(None, f"counts not compared: the backup run of {when} recorded no statistics")
    if stats.errors:
        return CountCheck(
            None, f"counts not compared: the backup of {when} could not read {stats.errors} file(s)"
        )
    if restored.entries != stats.source_files:
        return CountCheck(
            f"the restore holds {restored.entries:,} files, folders and links; the backup of {when} "
            f"recorded {stats.source_files:,}",
            "",
        )
    if stats.file_bytes is None:
        return CountCheck(
            None,
            f"{restored.entries:,} entries as recorded; bytes not compared: the backup of {when} has no "
            "file bytes (excludes, or a SOURCE that changed during it)",
        )
    if restored.file_bytes != stats.file_bytes:
        return CountCheck(
            f"the restore holds {restored.file_bytes:,} bytes in files and links; the backup of {when} "
            f"recorded {stats.file_bytes:,}",
            "",
        )
    compared = f"{restored.entries:,} entries and {restored.file_bytes:,} bytes of files"
    return CountCheck(None, f"{compared}, as the backup of {when} recorded")


def restore_problem(exit_code: int, lines: Sequence[str]) -> str:
    """Why the restore of the latest backup failed (`duplicity_errors.explain`)."""
    return f"the restore of the latest backup failed: {explain(exit_code, lines).line}"


def verify_problem(exit_code: int, lines: Sequence[str]) -> str:
    """Why `duplicity verify --compare-data` failed: its differences, the first one named."""
    differences = [line.split(_DIFFERENCE, 1)[1].strip() for line in lines if _DIFFERENCE in line]
    if differences:
        return (
            f"duplicity verify found {len(differences)} difference(s) between the backup and its "
            f"restore, the first: {differences[0]} (duplicity exit code {exit_code})"
        )
    return f"duplicity verify failed: {explain(exit_code, lines).line}"


# A difference of owner or group alone: "File a has permissions 1000:1000 644, expected 0:0 644".
_OWNERSHIP_ONLY = re.compile(r"has permissions \d+:\d+ (?P<mode>[0-7]+), expected \d+:\d+ (?P=mode)$")


def only_ownership_differs(lines: Sequence[str]) -> bool:
    """Every difference `duplicity verify` found is of owner or group alone, the mode equal: what a
    restore by any user but root cannot reproduce (it restores no ownership; `verify` compares it)."""
    differences = [line.split(_DIFFERENCE, 1)[1].strip() for line in lines if _DIFFERENCE in line]
    return bool(differences) and all(_OWNERSHIP_ONLY.search(difference) for difference in differences)
