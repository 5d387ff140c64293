"""`explain` on the lines the real duplicity 3.2.1 and gpg 2.2 printed (produced on this machine,
file:// targets): each failure gets one line saying what is wrong and what to do."""

from __future__ import annotations

from duplicity_cron.targets.duplicity_errors import Kind, explain

TRACEBACK = [
    "Traceback (innermost last):",
    '  File "/venv/lib/python3.11/site-packages/duplicity/__main__.py", line 79, in dup_run',
    "    with_tempdir(main)",
    '  File "/venv/lib/python3.11/site-packages/duplicity/dup_collections.py", line 1184, in '
    "get_backup_chain_at_time",
    '    raise CollectionsError("No backup chains found")',
    " duplicity.dup_collections.CollectionsError: No backup chains found",
]
BAD_SESSION_KEY = [
    "GPGError: GPG Failed, see log below:",
    "===== Begin GnuPG log =====",
    "gpg: AES256.CFB encrypted data",
    "gpg: encrypted with 1 passphrase",
    "gpg: decryption failed: Bad session key",
    "===== End GnuPG log =====",
]


def test_a_wrong_passphrase_is_named_on_restore_and_on_backup() -> None:
    for code in (31, 1):  # restore; an incremental backup
        failure = explain(code, BAD_SESSION_KEY)
        assert failure.kind is Kind.WRONG_KEY
        assert failure.line == (
            "the backup cannot be decrypted: wrong PASSPHRASE (or private key); set the one it was made "
            f"with (duplicity exit code {code})"
        )


def test_an_empty_target_is_one_line_without_the_traceback() -> None:
    failure = explain(30, TRACEBACK)
    assert failure.kind is Kind.NO_BACKUP
    assert (
        failure.line
        == "the target holds no backup: check TARGET, or run a backup first (duplicity exit code 30)"
    )


def test_a_missing_volume_and_a_damaged_one() -> None:
    missing = [
        "difftar volume 2 not found in backup.",
        "Please check your archive and try again.",
        "Or use --ignore-errors to ignore this error.",
        "Error: 2",
    ]
    assert explain(1, missing).kind is Kind.MISSING_VOLUME
    assert explain(1, missing).line.startswith("volume 2 of the backup is missing from the target: ")
    mismatch = [
        "Invalid data - SHA1 hash mismatch for file:",
        " duplicity-full.20261207T105316Z.vol1.difftar.gpg",
        " Calculated hash: 928ff2861ec7547980b0091a1f78f5d268056888",
        " Manifest hash: 000002861ec7547980b0091a1f78f5d268056888",
    ]
    failure = explain(21, mismatch)
    assert failure.kind is Kind.HASH_MISMATCH and failure.cache_may_be_damaged
    assert "(duplicity-full.20261207T105316Z.vol1.difftar.gpg)" in failure.line


def test_a_damaged_signature_in_the_cache_is_a_damaged_cache() -> None:
    for said in (
        "Not a gzipped file (b'ga')",
        "Compressed file ended before the end-of-stream marker was reached",
    ):
        failure = explain(1, [f"Read error on /tmp/duplicity-_kevpkfe-tempdir/mktemp-ffee0d1i-7: {said}"])
        assert failure.kind is Kind.DAMAGED_CACHE and failure.cache_may_be_damaged
        assert failure.line.startswith(f"duplicity's local cache is damaged ({said}): ")


def test_a_path_not_in_the_backup_and_a_folder_not_empty() -> None:
    assert explain(19, ["nope/x not found in archive - no files restored."]).line == (
        "nope/x is not in the backup: check --path (relative to SOURCE) (duplicity exit code 19)"
    )
    not_empty = ["Restore '/tmp/data' is not empty or is current_dir.", "Will not overwrite."]
    assert explain(11, not_empty).kind is Kind.NOT_EMPTY


def test_a_backend_that_cannot_start_names_duplicity_s_reason() -> None:
    failure = explain(50, ["BackendException: Could not initialize backend: No module named 'paramiko'"])
    assert failure.kind is Kind.UNREACHABLE
    assert "(BackendException: Could not initialize backend: No module named 'paramiko')" in failure.line
    assert not failure.cache_may_be_damaged


def test_no_passphrase_and_no_terminal() -> None:
    lines = ["GnuPG passphrase for decryption: Traceback (innermost last):", " EOFError"]
    assert explain(30, lines).kind is Kind.NO_PASSPHRASE


def test_a_full_or_read_only_disk() -> None:
    full = ["OSError: [Errno 28] No space left on device: '/restore/a.bin'"]
    assert explain(50, full).line == (
        "no space left on the disk (/restore/a.bin): free space there (duplicity exit code 50)"
    )
    assert explain(1, ["[Errno 30] Read-only file system: '/r/x'"]).kind is Kind.READ_ONLY


def test_anything_else_is_its_last_words_never_a_traceback_frame() -> None:
    assert explain(99, []).line == "duplicity failed (duplicity exit code 99)"
    lines = [*TRACEBACK[:3], " duplicity.errors.UserError: something odd"]
    assert explain(1, lines).line == "duplicity failed: UserError: something odd (duplicity exit code 1)"
