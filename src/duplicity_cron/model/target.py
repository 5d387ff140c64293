"""What a backup target holds, as its listing says (`targets.collection_status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BackupChain:
    """A full backup and the incrementals on it, as the target lists them (`targets.collection_status`)."""

    full: datetime  # the full backup's time (UTC)
    incrementals: tuple[datetime, ...]  # end times, oldest first
    volumes: int  # volumes of all its sets
    primary: bool  # the chain duplicity's next incremental would extend (it has matching signatures)

    @property
    def end(self) -> datetime:
        """The newest backup of the chain: the time a restore without --time gets."""
        return self.incrementals[-1] if self.incrementals else self.full


@dataclass(frozen=True)
class TargetContents:
    """What a task's TARGET holds, as read by `collection-status` after a run (`runner.target_contents`)."""

    read_at: datetime
    chains: tuple[BackupChain, ...]  # oldest first
    orphaned_sets: int = 0  # sets whose chain is gone
    incomplete_sets: int = 0  # sets a backup cut short left (`cleanup` removes them)

    @property
    def last_chain(self) -> BackupChain | None:
        return self.chains[-1] if self.chains else None

    @property
    def oldest_restorable(self) -> datetime | None:
        """The earliest time a restore can go back to: the oldest chain's full backup."""
        return self.chains[0].full if self.chains else None
