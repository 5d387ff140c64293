"""Public-key encryption of the built-in backup: parsers of `TASK_<id>_ENCRYPT_KEY`, `_PUBLIC_KEY` and
`_PRIVATE_KEY`, and the OPTIONS that cannot go with them.

Pure, like `duplicity_values`. The keys are ASCII-armored (`gpg --export --armor`): an environment
variable and a secret file (`*_FILE`, UTF-8 text without NUL) cannot carry gpg's binary format. What
gpg alone can tell (does the key hold that fingerprint, can it encrypt) is checked when the run
imports it (`runner.keyring.prepare_keyring`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Task

_FINGERPRINT = re.compile(r"[0-9A-F]{40}")
_BLOCK = "-----BEGIN PGP {} KEY BLOCK-----"
_END = "-----END PGP {} KEY BLOCK-----"
PUBLIC, PRIVATE = "PUBLIC", "PRIVATE"
# Options that choose the encryption themselves: with ENCRYPT_KEY the runner does, and the run's
# keyring holds nothing but the public key of ENCRYPT_KEY (no other recipient, no key to sign with).
NO_ENCRYPTION = "--no-encryption"  # needs no key: fine without ENCRYPT_KEY
CONFLICTING_OPTIONS = (
    "--encrypt-key",
    "--hidden-encrypt-key",
    "--encrypt-sign-key",
    "--sign-key",
    NO_ENCRYPTION,
)


def parse_fingerprint(value: str) -> str:
    """A full OpenPGP v4 fingerprint: 40 hexadecimal digits, spaces (as `gpg --fingerprint` groups
    them) and a `0x` removed, in capitals. A short or long key id could name another key."""
    text = re.sub(r"\s", "", value)
    if text[:2].lower() == "0x":
        text = text[2:]
    text = text.upper()
    if not _FINGERPRINT.fullmatch(text):
        raise ValueError(
            "is not a full key fingerprint: 40 hexadecimal digits (spaces allowed), as "
            "`gpg --fingerprint KEY` prints it; a key id or a name is not enough"
        )
    return text


def _armored(value: str, kind: str, export: str) -> str:
    text = value.strip()
    if _BLOCK.format(kind) not in text or _END.format(kind) not in text:
        raise ValueError(
            f"holds no ASCII-armored {kind.lower()} key ({_BLOCK.format(kind)} ... {_END.format(kind)}); "
            f"export it with `{export}` (gpg's binary format cannot travel in a variable)"
        )
    return text + "\n"


def parse_public_key(value: str) -> str:
    """An armored public key block, and no private key: the backup host must not be able to read the
    backups it writes."""
    if _BLOCK.format(PRIVATE) in value:
        raise ValueError(
            "holds a private key; give the public key alone (`gpg --export --armor FINGERPRINT`): the "
            "private key is needed only to restore (TASK_<id>_PRIVATE_KEY_FILE)"
        )
    return _armored(value, PUBLIC, "gpg --export --armor FINGERPRINT")


def parse_private_key(value: str) -> str:
    """An armored private key block, for `restore TASK` (its passphrase, if it has one, is PASSPHRASE)."""
    return _armored(value, PRIVATE, "gpg --export-secret-keys --armor FINGERPRINT")


def conflicting_options(options: Sequence[str]) -> list[str]:
    """The OPTIONS words that choose the encryption themselves (`--sign-key X`, `--encrypt-key=X`)."""
    return [
        word
        for word in options
        if any(word == option or word.startswith(option + "=") for option in CONFLICTING_OPTIONS)
    ]


def restore_key_problem(task: Task) -> str | None:
    """Why `task`'s backups cannot be restored with the keys it has, before duplicity runs: encrypted
    to ENCRYPT_KEY, they need its private key (duplicity would fail with exit 31, "No secret key")."""
    if task.encrypt_key is None or task.private_key is not None:
        return None
    prefix = f"TASK_{task.id}_"
    return (
        f"the backups of task {task.id} are encrypted to {prefix}ENCRYPT_KEY and only its private key "
        f"can read them: set {prefix}PRIVATE_KEY_FILE to a file of "
        "`gpg --export-secret-keys --armor FINGERPRINT` (where you restore only)"
    )
