"""Whether SOURCE, counted just before the built-in backup, lost too much since the last backup: a mount
that did not come up shows as an empty folder, and duplicity backs it up and succeeds, recording every
file as deleted. Pure: the runner counts SOURCE (`runner.tree_size`) and reads the history; this module
judges.

SOURCE is compared with the statistics of the newest run that made a backup (`BackupStats`): its entries
with `source_files`, its bytes with `file_bytes` (folders' own sizes left out) when that run measured
them, else with `source_bytes`. The larger of the two losses counts. Excludes in OPTIONS make the count
of SOURCE larger than duplicity's, so they can hide a loss, never invent one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.values import DEFAULT_SHRINK_LIMIT
from ..model import BackupStats, Task
from .verification import TreeSize


@dataclass(frozen=True)
class ShrinkFinding:
    """What the run says of a SOURCE that shrank, and whether it fails (ON_SHRINK=fail) before the backup."""

    message: str
    fails: bool


def lost_share(now: TreeSize, last: BackupStats) -> float:
    """The larger share (0 to 1) of the last backup's entries or bytes that SOURCE no longer holds."""
    then_bytes, now_bytes = (
        (last.file_bytes, now.file_bytes) if last.file_bytes is not None else (last.source_bytes, now.bytes)
    )
    shares = [0.0]
    if last.source_files > 0:
        shares.append((last.source_files - now.entries) / last.source_files)
    if then_bytes > 0:
        shares.append((then_bytes - now_bytes) / then_bytes)
    return max(shares)


def shrink_finding(task: Task, source: str, now: TreeSize, last: BackupStats | None) -> ShrinkFinding | None:
    """None when SOURCE holds something and lost at most SHRINK_LIMIT of the last backup; else what to say.

    An empty SOURCE (the folder alone) is a finding on the first backup too: nothing to compare it with,
    but a backup of nothing is worth a word."""
    prefix = f"TASK_{task.id}_"
    limit = task.shrink_limit or DEFAULT_SHRINK_LIMIT
    if now.entries <= 1:
        what = f"SOURCE {source} is empty"
        if last is None:
            what += ": the first backup of this task would hold nothing"
        else:
            what += f"; the last backup held {last.source_files - 1} entries (a mount that did not come up?)"
    elif last is not None and (share := lost_share(now, last)) * 100 > limit:
        what = (
            f"SOURCE {source} shrank by {share:.0%} since the last backup ({prefix}SHRINK_LIMIT is "
            f"{limit}%): "
            f"{now.entries} entries and {now.bytes} bytes now, {last.source_files} entries and "
            f"{last.source_bytes} bytes then"
        )
    else:
        return None
    if task.on_shrink == "fail":
        return ShrinkFinding(
            f"{what}; no backup made ({prefix}ON_SHRINK=fail): mend SOURCE, or run once with "
            f"{prefix}ON_SHRINK=warn to back up what it holds",
            fails=True,
        )
    return ShrinkFinding(f"{what}; backing it up all the same ({prefix}ON_SHRINK=fail refuses)", fails=False)
