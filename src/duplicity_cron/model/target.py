"""What a backup target holds, as its listing says (`targets.collection_status`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta


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
    # What duplicity said each set's backup wrote to the target (its TotalDestinationSizeChange), by the
    # set's time, for the sets the runner saw made: no backend tells a set's size (`with_set_bytes`).
    set_bytes: Mapping[datetime, int] = field(default_factory=dict)

    @property
    def set_times(self) -> tuple[datetime, ...]:
        """Every set of every chain, by its time: the full backup's, each incremental's end."""
        return tuple(moment for chain in self.chains for moment in (chain.full, *chain.incrementals))

    @property
    def unknown_sets(self) -> int:
        """The sets whose size the runner did not see written (made before it kept sizes, or elsewhere)."""
        return sum(1 for moment in self.set_times if moment not in self.set_bytes)

    @property
    def size_bytes(self) -> int | None:
        """What the target holds in its chains, when the size of every set is known; else None."""
        if self.unknown_sets:
            return None
        return sum(self.set_bytes[moment] for moment in self.set_times)

    @property
    def last_chain(self) -> BackupChain | None:
        return self.chains[-1] if self.chains else None

    @property
    def oldest_restorable(self) -> datetime | None:
        """The earliest time a restore can go back to: the oldest chain's full backup."""
        return self.chains[0].full if self.chains else None


SET_TIME_SLACK = timedelta(seconds=2)  # duplicity's set times have whole seconds


def with_set_bytes(
    contents: TargetContents, previous: TargetContents | None, written: tuple[datetime, int] | None
) -> TargetContents:
    """`contents` with the set sizes known: those `previous` knew of sets still there, and, when a
    backup wrote `written` = (when it began, what it wrote), the newest set if it is that backup's (not
    older than its beginning)."""
    times = set(contents.set_times)
    known = {
        moment: size for moment, size in (previous.set_bytes if previous else {}).items() if moment in times
    }
    if written is not None and times:
        began, size = written
        newest = max(times)
        if newest >= began - SET_TIME_SLACK:
            known[newest] = size
    return replace(contents, set_bytes=known)
