"""`collection-status --log-fd 1` of duplicity 3.2.1, read: the outputs below were copied from real runs
(a target with two chains, an empty or missing one, one with orphaned and incomplete sets)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from duplicity_cron.model import BackupChain, Task
from duplicity_cron.targets.collection_status import (
    NoCollectionStatus,
    parse_collection_status,
    warnings_in,
)
from duplicity_cron.targets.duplicity import collection_status_command

READ_AT = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)

TWO_CHAINS = """\
Collection Status
-----------------
Connecting with backend: BackendWrapper
Archive dir: /tmp/cmeas/cache/t

Found 1 secondary backup chain(s).
Secondary chain 1 of 1:
-------------------------
Chain start time: Tue Nov 14 22:13:20 2023
Chain end time: Tue Nov 14 22:46:40 2023
Number of contained backup sets: 3
Total number of contained volumes: 3
 Type of backup set:                            Time:      Num volumes:
                Full         Tue Nov 14 22:13:20 2023                 1
         Incremental         Tue Nov 14 22:30:00 2023                 1
         Incremental         Tue Nov 14 22:46:40 2023                 1
-------------------------


Found primary backup chain with matching signature chain:
-------------------------
Chain start time: Tue Nov 14 23:03:20 2023
Chain end time: Tue Nov 14 23:20:00 2023
Number of contained backup sets: 2
Total number of contained volumes: 2
 Type of backup set:                            Time:      Num volumes:
                Full         Tue Nov 14 23:03:20 2023                 1
         Incremental         Tue Nov 14 23:20:00 2023                 1
-------------------------
No orphaned or incomplete backup sets found.
INFO 3\x20
backend BackendWrapper
archive-dir (. dir)
chain-no-sig 0
 full 20231114T221320Z 1 enc
 inc 20231114T223000Z 1 enc
 inc 20231114T224640Z 1 enc
chain-complete
 full 20231114T230320Z 1 enc
 inc 20231114T232000Z 1 enc
orphaned-sets-num 0
incomplete-sets-num 0
. Collection Status
. -----------------
. Connecting with backend: BackendWrapper
. Archive dir: /tmp/cmeas/cache/t
.\x20
. Found 1 secondary backup chain(s).
. No orphaned or incomplete backup sets found.

""".splitlines()

EMPTY = """\
Collection Status
-----------------
Connecting with backend: BackendWrapper
Archive dir: /tmp/cmeas/cache/fresh

Found 0 secondary backup chain(s).
No backup chains with active signatures found
No orphaned or incomplete backup sets found.
INFO 3\x20
backend BackendWrapper
archive-dir (. dir)
orphaned-sets-num 0
incomplete-sets-num 0
. Collection Status
. -----------------
. No orphaned or incomplete backup sets found.

""".splitlines()

# The files of the target were gone, the archive cache was not.
LOST_FILES = [
    "WARNING. found signatures but no corresponding backup files",
    "WARNING 4",
    ". WARNING. found signatures but no corresponding backup files",
    "",
    *EMPTY,
]

ORPHANED_FILES = (
    "[duplicity-inc.20231114T223000Z.to.20231114T224640Z.manifest.gpg, "
    "duplicity-inc.20231114T223000Z.to.20231114T224640Z.vol1.difftar.gpg]"
)
ORPHANED = f"""\
WARNING. found the following orphaned backup file(s):
{ORPHANED_FILES}
WARNING 6
. WARNING. found the following orphaned backup file(s):
. {ORPHANED_FILES}

Collection Status
-----------------
Also found 1 backup set(s) not part of any chain,
and 1 incomplete backup set(s).
INFO 3\x20
backend BackendWrapper
archive-dir (. dir)
chain-no-sig 0
 full 20261201T134404Z 3 enc
orphaned-sets-num 1
incomplete-sets-num 1
. Collection Status

""".splitlines()


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def test_two_chains_oldest_first_with_their_incrementals():
    contents = parse_collection_status(TWO_CHAINS, READ_AT)
    assert contents.read_at == READ_AT
    assert contents.chains == (
        BackupChain(
            utc(2023, 11, 14, 22, 13, 20),
            (utc(2023, 11, 14, 22, 30), utc(2023, 11, 14, 22, 46, 40)),
            3,
            False,
        ),
        BackupChain(utc(2023, 11, 14, 23, 3, 20), (utc(2023, 11, 14, 23, 20),), 2, True),
    )
    assert contents.oldest_restorable == utc(2023, 11, 14, 22, 13, 20)
    last = contents.last_chain
    assert last is not None and last.full == utc(2023, 11, 14, 23, 3, 20) and len(last.incrementals) == 1
    assert last.end == utc(2023, 11, 14, 23, 20)
    assert (contents.orphaned_sets, contents.incomplete_sets) == (0, 0)


def test_an_empty_target_holds_no_chain():
    contents = parse_collection_status(EMPTY, READ_AT)
    assert contents.chains == () and contents.last_chain is None and contents.oldest_restorable is None


def test_orphaned_and_incomplete_sets_are_counted():
    contents = parse_collection_status(ORPHANED, READ_AT)
    assert (contents.orphaned_sets, contents.incomplete_sets) == (1, 1)
    assert contents.chains == (BackupChain(utc(2026, 12, 1, 13, 44, 4), (), 3, False),)


def test_the_warnings_are_read_in_words():
    assert warnings_in(LOST_FILES) == ["found signatures but no corresponding backup files"]
    assert warnings_in(ORPHANED)[0] == "found the following orphaned backup file(s):"
    assert warnings_in(TWO_CHAINS) == []


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["Collection Status", "No backup chains with active signatures found"],  # the human text only
        ["INFO 3 ", "chain-complete", " full 2023-11-14 1 enc"],  # a time of another shape
        ["INFO 3 ", "chain-complete", " inc 20231114T232000Z 1 enc"],  # a chain without its full
        ["INFO 3 ", "orphaned-sets-num many"],
    ],
)
def test_anything_else_is_no_collection_status(lines):
    with pytest.raises(NoCollectionStatus):
        parse_collection_status(lines, READ_AT)


def test_the_command_lists_the_target_with_the_record_on_stdout():
    task = Task(
        id="home", steps={}, target="sftp://me:s3cret@host/backups", options=("--log-fd", "5", "-v", "info")
    )
    command = collection_status_command(task, archive="/cache")
    assert command.argv[:2] == ["duplicity", "collection-status"]
    assert command.argv[-3:] == ["--log-fd", "1", "sftp://me@host/backups"]  # after OPTIONS: it wins
    assert "s3cret" not in command.shell and command.env == {"BACKEND_PASSWORD": "s3cret"}
    assert command.argv[2:4] == ["--name", "home"]
