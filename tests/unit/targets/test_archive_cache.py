"""The pure reading of duplicity's cache folder names (`targets.archive_cache`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from duplicity_cron.model import BackupChain, TargetContents
from duplicity_cron.targets.archive_cache import (
    UntrustedCache,
    is_complete,
    manifests,
    options_problem,
    parse_archive_cache,
    volumes_in_manifest,
)

T1, T2, T3, T4 = "20261201T100000Z", "20261201T110000Z", "20261201T120000Z", "20261201T130000Z"
NOW = datetime(2026, 12, 1, 14, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def full(t: str) -> list[str]:
    return [f"duplicity-full.{t}.manifest", f"duplicity-full-signatures.{t}.sigtar.gz"]


def inc(a: str, b: str) -> list[str]:
    return [f"duplicity-inc.{a}.to.{b}.manifest", f"duplicity-new-signatures.{a}.to.{b}.sigtar.gz"]


def test_two_chains_the_last_primary_with_volumes():
    names = [*full(T1), *inc(T1, T2), *full(T3), *inc(T3, T4), "progress"]
    volumes = {f"duplicity-full.{T1}.manifest": 3, f"duplicity-inc.{T1}.to.{T2}.manifest": 1,
               f"duplicity-full.{T3}.manifest": 2, f"duplicity-inc.{T3}.to.{T4}.manifest": 1}  # fmt: skip
    assert sorted(manifests(names)) == sorted(volumes)
    contents = parse_archive_cache(reversed(names), volumes, NOW)
    assert contents == TargetContents(
        NOW, (BackupChain(at(T1), (at(T2),), 4, False), BackupChain(at(T3), (at(T4),), 3, True))
    )


@pytest.mark.parametrize(
    "names",
    [
        [],  # no chain
        ["progress"],
        [*full(T1), f"duplicity-inc.{T1}.to.{T2}.manifest.part"],  # a set cut short
        [*full(T1), *inc(T2, T3)],  # an incremental without its chain
        [f"duplicity-full.{T1}.manifest"],  # the last chain's signatures missing
        [*full(T1), f"duplicity-inc.{T1}.to.{T2}.manifest"],
        [*full(T1), "duplicity-full.zzz.manifest"],  # a name not known
        full("20261399T000000Z"),  # not a time
    ],
)
def test_what_cannot_stand_for_the_target(names):
    with pytest.raises(UntrustedCache):
        parse_archive_cache(names, {}, NOW)


def test_the_volumes_before_the_filelist():
    text = ["Hostname h\n", "Volume 1:\n", "    StartingPath .\n", "Volume 2:\n", "Filelist 2\n",
            "Volume 3: (a file named so)\n"]  # fmt: skip
    assert volumes_in_manifest(text) == 2


def test_complete_when_the_empty_cache_ends_with_this_runs_full_only():
    began = at(T2).replace(microsecond=500_000)
    own = TargetContents(NOW, (BackupChain(at(T2), (), 1, True),))
    assert is_complete(own, cache_was_empty=True, previous=None, run_began=began)
    older = TargetContents(NOW, (BackupChain(at(T1), (), 1, True),))  # the target's, synced in
    assert not is_complete(older, cache_was_empty=True, previous=None, run_began=began)
    extended = TargetContents(NOW, (BackupChain(at(T1), (at(T3),), 2, True),))
    assert not is_complete(extended, cache_was_empty=True, previous=None, run_began=began)


def test_complete_when_it_holds_all_the_runner_knew():
    known = TargetContents(NOW, (BackupChain(at(T1), (at(T2),), 2, False), BackupChain(at(T3), (), 1, True)))
    now = TargetContents(NOW, (*known.chains[:1], BackupChain(at(T3), (at(T4),), 2, True)))
    assert is_complete(now, cache_was_empty=False, previous=known, run_began=NOW)
    assert not is_complete(now, cache_was_empty=False, previous=None, run_began=NOW)
    lost = TargetContents(NOW, now.chains[1:])
    assert not is_complete(lost, cache_was_empty=False, previous=known, run_began=NOW)
    fewer = TargetContents(NOW, (BackupChain(at(T1), (), 1, False), *now.chains[1:]))
    assert not is_complete(fewer, cache_was_empty=False, previous=known, run_began=NOW)
    cut_short = TargetContents(NOW, known.chains, incomplete_sets=1)
    assert not is_complete(now, cache_was_empty=False, previous=cut_short, run_began=NOW)
    orphaned = TargetContents(NOW, known.chains, orphaned_sets=1)
    assert not is_complete(now, cache_was_empty=False, previous=orphaned, run_began=NOW)


def test_options_that_change_the_cache_or_its_names():
    assert options_problem(["--volsize", "50"]) is None
    assert options_problem(["--file-prefix-manifest=m_"]) == "--file-prefix-manifest=m_"
    assert options_problem(["--name", "other"]) == "--name"
    assert options_problem(["--no-check-remote"]) == "--no-check-remote"
