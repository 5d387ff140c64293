"""What a TARGET holds, read from duplicity's local archive cache (`<archive>/<task id>/`) instead of a
second `duplicity collection-status` process (about 1-2 s of start-up and listing per run, measured).

Why the cache can stand for the target after a built-in `duplicity backup` (3.2.1, dup_main.py):
- the backup starts with `sync_archive`, where the target is authoritative: every metadata file the
  cache holds that the target lacks is deleted, and the target's manifests and signatures the cache
  lacks are copied in, those of the chain the backup extends at least (`--metadata-sync-mode partial`,
  the default; all of them when the target holds no chain or two cover now);
- the backup then writes its own manifest and signatures into the cache as well as the target.
So after a successful backup the cache holds a subset of the target's sets that includes the last
chain. It holds all of them when the target had no chain before (an empty cache then ends with the
one full this backup began: had the target held a chain, its metadata would have been copied in
beside it) or when the cache already held every chain and set the runner last knew of
(`is_complete`). `duplicity full` and the `remove-*` commands skip `sync_archive`: after those the
runner asks collection-status (`runner.target_contents`).

Names, as duplicity's file_naming.py writes them (long names; a `--file-prefix*` option changes them):
    duplicity-full.<T>.manifest                   a full set at T (volumes listed in its text)
    duplicity-inc.<T1>.to.<T2>.manifest           an incremental from T1 to T2
    duplicity-full-signatures.<T>.sigtar.gz       the signatures of the full at T
    duplicity-new-signatures.<T1>.to.<T2>.sigtar.gz  those of the incremental
A `.part` name is a set cut short. Pure: the runner passes the names and the manifests' volume counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..model import BackupChain, TargetContents

_T = r"(\d{8}T\d{6}Z)"
_FULL = re.compile(rf"duplicity-full\.{_T}\.manifest(?:\.gpg|\.gz)?")
_INC = re.compile(rf"duplicity-inc\.{_T}\.to\.{_T}\.manifest(?:\.gpg|\.gz)?")
_FULL_SIG = re.compile(rf"duplicity-full-signatures\.{_T}\.sigtar(?:\.gz|\.gpg)?")
_NEW_SIG = re.compile(rf"duplicity-new-signatures\.{_T}\.to\.{_T}\.sigtar(?:\.gz|\.gpg)?")
_VOLUME = re.compile(r"Volume \d+:")


class UntrustedCache(ValueError):
    """The cache's names do not describe whole chains (a set cut short, an incremental without its
    chain, signatures missing, a name this parser does not know): collection-status must be asked."""


# OPTIONS after which the cache folder `<archive>/<task id>` is not what duplicity syncs with the target
# (another --name), its names are not the ones parsed here, or the backup skips `sync_archive`.
_CACHE_OPTIONS = ("--name", "--file-prefix", "--no-check-remote", "--short-filenames")


def options_problem(options: Iterable[str]) -> str | None:
    """The task's OPTIONS word that keeps its cache from standing for the target, if any."""
    return next((word for word in options if word.split("=", 1)[0].startswith(_CACHE_OPTIONS)), None)


def _time(text: str) -> datetime:
    """`YYYYMMDDTHHMMSSZ` (the regexes made sure of the shape): sliced, not strptime, whose first use
    in a process costs ~0.05 s (its locale tables), measured with py-spy."""
    try:
        return datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
            int(text[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise UntrustedCache(f"{text}: not a time") from None


def is_metadata(name: str) -> bool:
    """A file of duplicity's in the cache (its `progress` file and anything else are not)."""
    return name.startswith("duplicity-") and ("manifest" in name or "signatures" in name)


def volumes_in_manifest(lines: Iterable[str]) -> int:
    """The `Volume N:` entries of a manifest's text (they come before its `Filelist`)."""
    count = 0
    for line in lines:
        if line.startswith("Filelist"):
            break
        if _VOLUME.match(line):
            count += 1
    return count


def manifests(names: Iterable[str]) -> list[str]:
    """The manifest names among `names`, the files whose volume counts `parse_archive_cache` needs."""
    return [name for name in names if _FULL.fullmatch(name) or _INC.fullmatch(name)]


@dataclass
class _CacheChain:
    """A chain as the cache's manifest names build it: the full's time and volumes, then each
    incremental's (start, end, volumes), linked where its start is the chain's end."""

    full: datetime
    volumes: int
    incrementals: list[tuple[datetime, datetime, int]] = field(default_factory=list)

    @property
    def end(self) -> datetime:
        return self.incrementals[-1][1] if self.incrementals else self.full


def _sets(names: Iterable[str], volumes: Mapping[str, int]) -> tuple[list[_CacheChain], set[str]]:
    chains: list[_CacheChain] = []
    incs: list[tuple[datetime, datetime, int]] = []
    sigs: set[str] = set()
    for name in names:
        if not is_metadata(name):
            continue
        if ".part" in name:
            raise UntrustedCache(f"{name}: a set cut short")
        if match := _FULL.fullmatch(name):
            chains.append(_CacheChain(_time(match[1]), volumes.get(name, 0)))
        elif match := _INC.fullmatch(name):
            incs.append((_time(match[1]), _time(match[2]), volumes.get(name, 0)))
        elif match := _FULL_SIG.fullmatch(name):
            sigs.add(f"full {match[1]}")
        elif match := _NEW_SIG.fullmatch(name):
            sigs.add(f"new {match[1]} {match[2]}")
        else:
            raise UntrustedCache(f"{name}: not a name this parser knows")
    chains.sort(key=lambda chain: chain.full)
    for start, end, count in sorted(incs, key=lambda inc: inc[1]):
        chain = next((chain for chain in chains if chain.end == start), None)
        if chain is None:
            raise UntrustedCache(f"the incremental ending {end:%Y%m%dT%H%M%SZ} has no chain in the cache")
        chain.incrementals.append((start, end, count))
    return chains, sigs


def parse_archive_cache(
    names: Iterable[str], volumes: Mapping[str, int], read_at: datetime
) -> TargetContents:
    """The contents the cache's file `names` describe, as collection-status would report them:
    chains oldest first, the last one primary (the cache must hold its signatures, each set's), the
    volume counts from `volumes` (manifest name -> `volumes_in_manifest`). UntrustedCache otherwise."""
    chains, sigs = _sets(names, volumes)
    if not chains:
        raise UntrustedCache("the cache holds no chain")
    last = chains[-1]
    needed = [f"full {last.full:%Y%m%dT%H%M%SZ}"]
    needed += [f"new {start:%Y%m%dT%H%M%SZ} {end:%Y%m%dT%H%M%SZ}" for start, end, _ in last.incrementals]
    if any(sig not in sigs for sig in needed):
        raise UntrustedCache("the last chain's signatures are not all in the cache")
    done = tuple(
        BackupChain(
            chain.full,
            tuple(end for _start, end, _count in chain.incrementals),
            chain.volumes + sum(count for _start, _end, count in chain.incrementals),
            chain is last,
        )
        for chain in chains
    )
    return TargetContents(read_at, done)


def is_complete(
    contents: TargetContents, *, cache_was_empty: bool, previous: TargetContents | None, run_began: datetime
) -> bool:
    """Whether `contents`, read from the cache after a successful `duplicity backup` (its sync run),
    holds every chain of the target (see the module's docstring): the cache was empty before the
    backup and holds one full begun by this run (at or after `run_began`) and nothing else, or it
    holds every chain and set the runner last knew of (`previous`, which counted no orphaned or
    incomplete set: those are volumes without their chain or manifest, which no cache holds)."""
    if cache_was_empty:
        if len(contents.chains) != 1:
            return False
        [chain] = contents.chains
        return not chain.incrementals and chain.full >= run_began.replace(microsecond=0)
    if previous is None or previous.orphaned_sets or previous.incomplete_sets:
        return False  # the cache holds no volumes: such sets are for collection-status to count
    now = {chain.full: set(chain.incrementals) for chain in contents.chains}
    return all(chain.full in now and set(chain.incrementals) <= now[chain.full] for chain in previous.chains)
