"""What a drill compares and how it says why it failed: the count rule, the latest backup among the
recorded runs, duplicity's failures turned into one reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from duplicity_cron.model import BackupStats, RunResult, Status, Trigger
from duplicity_cron.targets.verification import (
    TreeSize,
    check_counts,
    file_bytes_if_agreeing,
    latest_backup,
    made_a_backup,
    restore_problem,
    verify_problem,
)

ENDED = datetime(2026, 12, 1, 2, 0, 9, tzinfo=UTC)
# As measured on ext4: 10 entries (4 folders of 4096 bytes), 316,399 bytes in all.
STATS = BackupStats(
    source_files=10, source_bytes=316_399, new_files=10, new_bytes=316_399, changed_files=0,
    changed_bytes=0, deleted_files=0, raw_delta_bytes=300_015, destination_change_bytes=301_000,
    errors=0, elapsed=0.5, file_bytes=316_399 - 4 * 4096,
)  # fmt: skip


def backup_run(stats: BackupStats | None = STATS, **changes: object) -> RunResult:
    run = RunResult(
        "home", Status.SUCCEEDED, Trigger.SCHEDULE, ENDED - timedelta(seconds=9), ENDED, backup=stats
    )
    return replace(run, **changes)  # type: ignore[arg-type]


def test_a_walk_that_saw_what_duplicity_saw_gives_the_file_bytes() -> None:
    walk = TreeSize(entries=10, bytes=316_399, folder_bytes=16_384)
    assert file_bytes_if_agreeing(replace(STATS, file_bytes=None), walk) == 300_015
    # a socket counted, an exclude, a file written after the backup: no file bytes at all
    assert file_bytes_if_agreeing(STATS, TreeSize(11, 316_399, 16_384)) is None
    assert file_bytes_if_agreeing(STATS, TreeSize(10, 316_400, 16_384)) is None


def test_a_restore_on_another_file_system_differs_in_folder_bytes_only_and_passes() -> None:
    tmpfs = TreeSize(entries=10, bytes=300_015 + 340, folder_bytes=340)  # measured on tmpfs
    check = check_counts(backup_run(), tmpfs)
    assert check.problem is None
    assert (
        check.note
        == "10 entries and 300,015 bytes of files, as the backup of 2026-12-01T02:00:09+00:00 recorded"
    )


def test_a_missing_entry_fails_with_expected_and_found() -> None:
    check = check_counts(backup_run(), TreeSize(9, 300_015, 16_384))
    assert check.problem == (
        "the restore holds 9 files, folders and links; the backup of 2026-12-01T02:00:09+00:00 recorded 10"
    )


def test_a_truncated_file_fails_with_expected_and_found() -> None:
    check = check_counts(backup_run(), TreeSize(10, 300_014 + 340, 340))
    assert check.problem == (
        "the restore holds 300,014 bytes in files and links; the backup of 2026-12-01T02:00:09+00:00 "
        "recorded 300,015"
    )


def test_what_cannot_be_compared_is_said_never_claimed() -> None:
    tree = TreeSize(10, 1, 0)
    assert check_counts(None, tree).note == "counts not compared: no backup run of this task is recorded"
    assert check_counts(backup_run(None), tree).note.startswith("counts not compared: the backup run of")
    assert "could not read 2 file(s)" in check_counts(backup_run(replace(STATS, errors=2)), tree).note
    no_bytes = check_counts(backup_run(replace(STATS, file_bytes=None)), TreeSize(10, 1, 0))
    assert no_bytes.problem is None
    assert "10 entries as recorded; bytes not compared" in no_bytes.note
    for check in (check_counts(None, tree), no_bytes):
        assert "bytes of files, as" not in check.note


def test_the_latest_backup_is_the_newest_run_whose_load_succeeded() -> None:
    newest = backup_run(failed_step="retention", status=Status.FAILED)
    drill = backup_run(trigger=Trigger.VERIFY)
    failed_load = backup_run(None, status=Status.FAILED, failed_step="load")
    skipped = backup_run(None, status=Status.SKIPPED)
    assert made_a_backup(newest)
    assert not any(made_a_backup(run) for run in (drill, failed_load, skipped))
    assert latest_backup([drill, failed_load, skipped, newest, backup_run()]) is newest
    assert latest_backup([drill, failed_load]) is None


def test_restore_failures_name_what_is_wrong() -> None:
    assert restore_problem(1, ["difftar volume 2 not found in backup.", "Error: 2"]) == (
        "the restore of the latest backup failed: volume 2 of the backup is missing from the target: "
        "restore another backup (--time) and make a new full backup (duplicity exit code 1)"
    )
    mismatch = ["Invalid data - SHA1 hash mismatch for file:", " duplicity-full.X.vol3.difftar.gpg"]
    assert restore_problem(21, mismatch) == (
        "the restore of the latest backup failed: a volume is damaged: its hash does not match the "
        "manifest (duplicity-full.X.vol3.difftar.gpg); restore another backup (--time) and make a new "
        "full backup (duplicity exit code 21)"
    )
    assert "wrong PASSPHRASE" in restore_problem(31, ["gpg: decryption failed: Bad session key"])
    assert restore_problem(99, []) == (
        "the restore of the latest backup failed: duplicity failed (duplicity exit code 99)"
    )


def test_verify_failures_count_the_differences_and_name_the_first() -> None:
    lines = [
        "Difference found: File zero is missing",
        "Difference found: File a/b has mismatching data",
        "Verify complete: 10 file(s) compared, 2 difference(s) found.",
    ]
    assert verify_problem(1, lines) == (
        "duplicity verify found 2 difference(s) between the backup and its restore, the first: File zero "
        "is missing (duplicity exit code 1)"
    )
    assert verify_problem(31, []) == (
        "duplicity verify failed: the backup cannot be decrypted: wrong PASSPHRASE (or private key); set "
        "the one it was made with (duplicity exit code 31)"
    )


def test_owners_alone_differing_is_told_apart_from_any_other_difference():
    from duplicity_cron.targets.verification import only_ownership_differs

    owner = "[home/verify] Difference found: File a/b.txt has permissions 1000:1000 644, expected 0:0 644"
    group = "Difference found: File private has permissions 1000:1000 700, expected 1000:0 700"
    mode = "Difference found: File run.sh has permissions 1000:1000 644, expected 0:0 755"
    data = "Difference found: File text.sql data does not match"
    summary = "Verify complete: 11 files compared, 2 differences found."
    assert only_ownership_differs([owner, group, summary])
    assert not only_ownership_differs([owner, mode])
    assert not only_ownership_differs([owner, data])
    assert not only_ownership_differs([summary])  # exit 1 with no difference named is no pass
