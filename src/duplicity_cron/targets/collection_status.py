"""What a TARGET holds, read from `duplicity collection-status --log-fd 1` (3.2.1).

The human text of collection-status is in the local time zone and meant for people; with `--log-fd`
duplicity also writes a machine-readable record (level INFO, code 3) with UTC times, measured:

    INFO 3
    backend BackendWrapper
    archive-dir (. dir)
    chain-no-sig 0
     full 20231114T221320Z 1 enc
     inc 20231114T223000Z 1 enc
    chain-complete
     full 20231114T230320Z 1 enc
     inc 20231114T232000Z 1 enc
    orphaned-sets-num 0
    incomplete-sets-num 0
    . Collection Status
    . -----------------

`chain-complete` is the primary chain (with matching signatures), `chain-no-sig N` the secondary ones;
each set is `full|inc TIME VOLUMES enc|noenc` (an incremental's TIME is its end). A target without
backups has no chain lines; a missing file:// target reads as an empty one (duplicity creates the
folder) and the exit code is 0 there too: only this record says what the target holds.

Pure: the runner passes the lines it read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..model import BackupChain, TargetContents

RECORD = "INFO 3"  # log level and duplicity's InfoCode.collection_status
_TIME = "%Y%m%dT%H%M%SZ"


class NoCollectionStatus(ValueError):
    """The output holds no collection-status record that can be read."""


@dataclass
class _RecordChain:
    """A chain of the record as its lines are read: the full's time once its line came, the
    incrementals' end times, the volumes of all its sets."""

    primary: bool
    full: datetime | None = None
    incrementals: list[datetime] = field(default_factory=list)
    volumes: int = 0

    def done(self) -> BackupChain:
        if self.full is None:
            raise NoCollectionStatus("a chain without a full backup")
        return BackupChain(self.full, tuple(sorted(self.incrementals)), self.volumes, self.primary)


def _time(word: str) -> datetime:
    return datetime.strptime(word, _TIME).replace(tzinfo=UTC)


def _record(lines: Iterable[str]) -> list[str]:
    """The data lines of the last collection-status record."""
    found: list[str] | None = None
    current: list[str] | None = None
    for line in lines:
        if line.strip() == RECORD:
            current = found = []
        elif current is not None:
            if not line.strip() or line.startswith("."):
                current = None
            else:
                current.append(line)
    if found is None:
        raise NoCollectionStatus("duplicity printed no collection status")
    return found


def warnings_in(lines: Iterable[str]) -> list[str]:
    """The text of the WARNING records (`WARNING <code>` then `. <text>` lines), such as 3.2.1's
    "found signatures but no corresponding backup files" when the target lost its files."""
    found, inside = [], False
    for line in lines:
        if line.startswith("WARNING ") and line.split()[1:2] and line.split()[1].isdigit():
            inside = True
        elif inside and line.startswith(". "):
            found.append(line[2:].removeprefix("WARNING. "))
        else:
            inside = False
    return found


def parse_collection_status(lines: Iterable[str], read_at: datetime) -> TargetContents:
    """The contents the record in `lines` describes; NoCollectionStatus when there is none or it is
    not the shape measured above."""
    chains: list[_RecordChain] = []
    counts = {"orphaned-sets-num": 0, "incomplete-sets-num": 0}
    for line in _record(lines):
        words = line.split()
        try:
            if words[0] in ("chain-complete", "chain-no-sig"):
                chains.append(_RecordChain(primary=words[0] == "chain-complete"))
            elif words[0] in counts:
                counts[words[0]] = int(words[1])
            elif words[0] in ("full", "inc") and chains:
                chain, when, volumes = chains[-1], _time(words[1]), int(words[2])
                chain.volumes += volumes
                if words[0] == "full":
                    chain.full = when
                else:
                    chain.incrementals.append(when)
        except (IndexError, ValueError) as exc:
            raise NoCollectionStatus(f"cannot read {line.strip()!r}: {exc}") from None
    done = sorted((chain.done() for chain in chains), key=lambda chain: chain.full)
    return TargetContents(read_at, tuple(done), counts["orphaned-sets-num"], counts["incomplete-sets-num"])
