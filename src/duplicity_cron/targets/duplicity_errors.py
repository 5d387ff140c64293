"""What a failed duplicity (or the gpg it runs) means, in one line: what is wrong and what to do.

Every command that runs duplicity says why it failed through `explain`: the backup run's failure line,
`restore TASK` and the drills (`targets.verification`). The user sees that line; duplicity's own lines
(its tracebacks, gpg's log) stay in the step's output. Pure: the runner passes the exit code and the
lines it read.

The messages were produced with the real duplicity 3.2.1 and gpg 2.2 (tests/unit/targets/
test_duplicity_errors.py holds them): a wrong PASSPHRASE (gpg's "Bad session key", exit 31), a deleted
volume ("difftar volume 2 not found in backup", exit 1), a volume or cached manifest whose hash differs
("Invalid data - SHA1 hash mismatch for file:", exit 21), a damaged signature file in the local cache
("Read error on /tmp/duplicity-...-tempdir/mktemp-...: Not a gzipped file", exit 1 on a backup), an
empty target ("CollectionsError: No backup chains found", exit 30), a `--path-to-restore` not in the
backup (exit 19), a backend that cannot start (`BackendException`, exit 50).

A hash mismatch can come from the target's volume or from the manifest in duplicity's local cache: the
runner tells them apart by rebuilding the cache once (`Failure.cache_may_be_damaged`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    WRONG_KEY = "wrong-key"
    NO_SECRET_KEY = "no-secret-key"
    NO_PASSPHRASE = "no-passphrase"
    MISSING_VOLUME = "missing-volume"
    HASH_MISMATCH = "hash-mismatch"
    DAMAGED_CACHE = "damaged-cache"
    NO_BACKUP = "no-backup"
    PATH_NOT_IN_BACKUP = "path-not-in-backup"
    NOT_EMPTY = "not-empty"
    DISK_FULL = "disk-full"
    READ_ONLY = "read-only"
    UNREACHABLE = "unreachable"
    NO_FULL = "no-full"
    BAD_OPTIONS = "bad-options"
    OTHER = "other"


@dataclass(frozen=True)
class Failure:
    kind: Kind
    line: str  # what is wrong and what to do, ending with the exit code

    @property
    def cache_may_be_damaged(self) -> bool:
        """Whether rebuilding duplicity's local cache from the target may cure it."""
        return self.kind in (Kind.DAMAGED_CACHE, Kind.HASH_MISMATCH)


_VOLUME = re.compile(r"difftar volume (\d+) not found")
_HASH = re.compile(r"hash mismatch for file:?\s*(\S+)?")
_CACHE_READ = re.compile(r"Read error on \S*duplicity-\S*tempdir\S*: (.+)")
_PATH = re.compile(r"^(.+) not found in archive - no files restored")
_ERRNO = re.compile(r"\[Errno (\d+)\] ([^:']+)(?::\s*'([^']*)')?")
_TRACEBACK_END = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception)): ?(.*)$")
_NOISE = ("Traceback", "File ", "=====", "gpg: ", "^", "Please check", "Or use --ignore-errors", "Error: ")

_GPG_WRONG_KEY = ("Bad session key", "decryption failed: bad key")  # gpg's words for a wrong passphrase


def _last_words(lines: Sequence[str]) -> str:
    """The last line that says something: a traceback's exception without its module, else the last
    line that is not a traceback's frame or gpg's log."""
    for line in reversed(lines):
        text = line.strip()
        if not text:
            continue
        if match := _TRACEBACK_END.match(text):
            return f"{match[1]}: {match[2]}".rstrip(": ")
        if not text.startswith(_NOISE) and not line.startswith("  "):
            return text
    return ""


def _code(exit_code: int) -> str:
    return f"(duplicity exit code {exit_code})"


def _errno(text: str, exit_code: int) -> Failure | None:
    found = {int(match[1]): match for match in _ERRNO.finditer(text)}
    where = ""
    if 28 in found:
        where = f" ({found[28][3]})" if found[28][3] else ""
        return Failure(
            Kind.DISK_FULL, f"no space left on the disk{where}: free space there {_code(exit_code)}"
        )
    if 30 in found:
        where = f" ({found[30][3]})" if found[30][3] else ""
        return Failure(
            Kind.READ_ONLY, f"the file system is read-only{where}: use a writable folder {_code(exit_code)}"
        )
    return None


def explain(exit_code: int, lines: Sequence[str]) -> Failure:
    """Why duplicity exited with `exit_code` (not 0), from the lines it printed (stdout and stderr).

    Over 60 lines for a reason: one case after another, in the order they must be recognised (gpg's
    words before duplicity's exit codes, which several failures share)."""
    text = "\n".join(lines)
    code = _code(exit_code)
    if any(message in text for message in _GPG_WRONG_KEY) or exit_code == 31:
        return Failure(
            Kind.WRONG_KEY,
            f"the backup cannot be decrypted: wrong PASSPHRASE (or private key); set the one it was made "
            f"with {code}",
        )
    if "No secret key" in text:
        return Failure(
            Kind.NO_SECRET_KEY,
            f"the backup cannot be decrypted: gpg has no private key for it; set PRIVATE_KEY {code}",
        )
    if "GnuPG passphrase" in text and "EOFError" in text:
        return Failure(Kind.NO_PASSPHRASE, f"duplicity asked for a passphrase: set PASSPHRASE {code}")
    if missing := _VOLUME.search(text):
        return Failure(
            Kind.MISSING_VOLUME,
            f"volume {missing[1]} of the backup is missing from the target: restore another backup "
            f"(--time) and make a new full backup {code}",
        )
    if mismatch := _HASH.search(text):
        name = f" ({mismatch[1]})" if mismatch[1] else ""
        return Failure(
            Kind.HASH_MISMATCH,
            f"a volume is damaged: its hash does not match the manifest{name}; restore another backup "
            f"(--time) and make a new full backup {code}",
        )
    if cache := _CACHE_READ.search(text):
        return Failure(
            Kind.DAMAGED_CACHE,
            f"duplicity's local cache is damaged ({cache[1].strip()}): remove the task's folder in the "
            f"archive folder, it is rebuilt from the target {code}",
        )
    if (errno := _errno(text, exit_code)) is not None:
        return errno
    if "No backup chains found" in text:
        return Failure(
            Kind.NO_BACKUP, f"the target holds no backup: check TARGET, or run a backup first {code}"
        )
    if path := _PATH.search(text.strip()):
        return Failure(
            Kind.PATH_NOT_IN_BACKUP,
            f"{path[1].strip()} is not in the backup: check --path (relative to SOURCE) {code}",
        )
    if exit_code == 11 or "is not empty or is current_dir" in text:
        return Failure(Kind.NOT_EMPTY, f"the folder to restore into is not empty: use an empty one {code}")
    if exit_code == 50 or "BackendException" in text:
        return Failure(
            Kind.UNREACHABLE,
            f"the target cannot be reached or read ({_last_words(lines) or 'backend error'}): check TARGET, "
            f"its server and credentials {code}",
        )
    if exit_code == 17:
        return Failure(Kind.NO_FULL, f"the target holds no full backup to add to: run a full backup {code}")
    if exit_code == 23:
        return Failure(
            Kind.BAD_OPTIONS,
            f"duplicity refused its command line ({_last_words(lines) or 'a bad option'}): check OPTIONS "
            f"{code}",
        )
    if exit_code == 30:
        return Failure(
            Kind.NO_BACKUP,
            f"no backup found at the target, or it cannot be reached ({_last_words(lines) or 'no message'}): "
            f"check TARGET {code}",
        )
    said = _last_words(lines)
    return Failure(Kind.OTHER, f"duplicity failed{': ' + said if said else ''} {code}")
