"""The command lines of a task with ENCRYPT_KEY: `--encrypt-key FPR` on every built-in command (no
trust option: duplicity passes `--always-trust` to gpg itself), and the new full chain the runner asks
for when the cache holds none."""

from __future__ import annotations

import shlex

from duplicity_cron.config import parse_config
from duplicity_cron.model import Task
from duplicity_cron.targets.duplicity import (
    NEW_CHAIN_NOTICE,
    backup_command,
    backup_step,
    encryption_options,
    restore_command,
    retention_commands,
)

ARCHIVE = "/cache/duplicity"
FPR = "251AC574D792116C2CFCC38225F0F14E0950CA11"
PUBLIC = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"


def task_of(**keys: str) -> Task:
    env = {
        "TASK_home_TARGET": "file:///backups/home",
        "TASK_home_ENCRYPT_KEY": "251A C574 D792 116C 2CFC  C382 25F0 F14E 0950 CA11",
        "TASK_home_PUBLIC_KEY": PUBLIC,
    }
    env.update({f"TASK_home_{key}": value for key, value in keys.items()})
    return parse_config(env).tasks["home"]


def test_every_command_encrypts_to_the_fingerprint_without_spaces() -> None:
    task = task_of(KEEP_FULL="2")
    commands = [
        backup_command(task, src="/s", archive=ARCHIVE),
        *retention_commands(task, archive=ARCHIVE),
        restore_command(task, destination="/r", archive=ARCHIVE),
    ]
    for command in commands:
        at = command.argv.index("--encrypt-key")
        assert command.argv[at + 1] == FPR
        assert not any("trust" in word for word in command.argv)
    assert encryption_options(task) == ["--encrypt-key", FPR]


def test_a_symmetric_task_has_no_encryption_option() -> None:
    task = parse_config({"TASK_home_TARGET": "file:///b", "PASSPHRASE": "a secret"}).tasks["home"]
    assert encryption_options(task) == []
    assert "--encrypt-key" not in backup_command(task, src="/s", archive=ARCHIVE).argv


def test_options_still_come_last() -> None:
    argv = backup_command(task_of(OPTIONS="--volsize 5"), src="/s", archive=ARCHIVE).argv
    assert argv[-4:] == ["--volsize", "5", "/s", "file:///backups/home"]


def test_a_new_chain_is_duplicity_full_with_a_notice() -> None:
    task = task_of()
    full = backup_command(task, src="/s", archive=ARCHIVE, full=True).argv
    assert full[:2] == ["duplicity", "full"] and "--full-if-older-than" not in full
    assert full[-3:] == ["--allow-source-mismatch", "/s", "file:///backups/home"]
    load = backup_step(task, src="/s", archive=ARCHIVE, new_chain=True)
    assert shlex.split(load.command) == full
    assert load.notice == NEW_CHAIN_NOTICE.format(cache="/cache/duplicity/home")
    usual = backup_step(task, src="/s", archive=ARCHIVE)
    assert shlex.split(usual.command)[1] == "backup" and usual.notice is None
