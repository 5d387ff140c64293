"""Public-key encryption of the built-in backup, with real keys, duplicity and gpg on file:// targets:
a backup host with the public key alone backs up (full, then incrementals) and cannot restore; restore
fails in one clear line without the private key and is byte-identical with it; a lost cache starts a
new chain and says so; a wrong key fails the run at its start; and neither the private key's content
nor its passphrase shows in any log line, record, notification, `status --json` or command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..file_changes import rewrite
from .backups import KeyPair, backup_env, chains, make_key_pair, places
from .conftest import COMMAND, base_env, base_env_path
from .http_recorder import Recorder
from .test_backups import restored_path
from .test_backups_secrets import command_lines, everything_recorded
from .test_duplicity_roundtrip import make_tree, tree_digest

pytestmark = pytest.mark.slow
KEY_PASSPHRASE = "canary-Key-Pa55phrase-9c3a"
NEW_CHAIN = "a full backup, a new chain: duplicity's cache"


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> KeyPair:
    """A key whose private half has a passphrase (given as PASSPHRASE to restore)."""
    return make_key_pair(tmp_path_factory.mktemp("key"), KEY_PASSPHRASE)


@pytest.fixture(scope="module")
def bare_key(tmp_path_factory) -> KeyPair:
    """A key without a passphrase: restore needs no PASSPHRASE at all."""
    return make_key_pair(tmp_path_factory.mktemp("bare-key"), name="Bare Key")


def spaced(fingerprint: str) -> str:
    """As `gpg --fingerprint` prints it: groups of four, two spaces in the middle."""
    groups = [fingerprint[i : i + 4] for i in range(0, 40, 4)]
    return " ".join(groups[:5]) + "  " + " ".join(groups[5:])


def pubkey_env(where, key: KeyPair, **keys: str) -> dict[str, str]:
    """The task with ENCRYPT_KEY and the public key's file, and no PASSPHRASE anywhere."""
    keys = {"ENCRYPT_KEY": spaced(key.fingerprint), "PUBLIC_KEY_FILE": str(key.public), **keys}
    env = backup_env(where, **keys)
    del env["PASSPHRASE"]
    return env


def secret_keys_in(gnupg: Path) -> list[str]:
    """The `sec` records of a GNUPGHOME: the private keys it holds."""
    listing = subprocess.run(
        ["gpg", "--homedir", str(gnupg), "--batch", "--with-colons", "--list-secret-keys"],
        env={"PATH": base_env_path(), "GNUPGHOME": str(gnupg)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False, timeout=60)
    return [line for line in listing.stdout.splitlines() if line.startswith("sec:")]


def test_the_public_key_backs_up_and_only_the_private_key_restores(cli, key, work_dir, tmp_path):
    where = places(tmp_path)
    env = pubkey_env(where, key)
    make_tree(where.data)
    first = cli("exec", "home", env=env, timeout=300)
    assert first.returncode == 0, first.output
    assert NEW_CHAIN in first.output  # an empty cache: the first backup says it starts a chain
    rewrite(where.data / "db" / "dump.sql", "changed\n")
    (where.data / "new file").write_bytes(b"\x00new\xff")
    latest = tree_digest(where.data)
    second = cli("exec", "home", env=env, timeout=300)
    assert second.returncode == 0, second.output
    assert NEW_CHAIN not in second.output
    [(_full, incrementals)] = chains(where.target).items()
    assert len(incrementals) == 1  # the cache let duplicity make an incremental with the public key alone
    assert secret_keys_in(work_dir / "home" / "gnupg") == []  # the run's keyring cannot decrypt

    without = cli("restore", "home", env=env, timeout=300)
    assert without.returncode == 1
    [line] = without.output.splitlines()
    assert line.endswith(
        "[home] ERROR: cannot restore: the backups of task home are encrypted to TASK_home_ENCRYPT_KEY "
        "and only its private key can read them: set TASK_home_PRIVATE_KEY_FILE to a file of "
        "`gpg --export-secret-keys --armor FINGERPRINT` (where you restore only)"
    )
    assert not (work_dir / "home" / "restores").exists()  # nothing was made, duplicity never ran

    with_key = {**env, "TASK_home_PRIVATE_KEY_FILE": str(key.private)}
    no_passphrase = cli("restore", "home", env=with_key, timeout=300)
    assert no_passphrase.returncode == 1
    assert (
        "restore failed: the backup cannot be decrypted: wrong PASSPHRASE (or private key)"
    ) in no_passphrase.output
    assert "Traceback" not in no_passphrase.output  # PASSPHRASE="" spares duplicity's prompt

    restored = cli("restore", "home", env={**with_key, "PASSPHRASE": KEY_PASSPHRASE}, timeout=300)
    assert restored.returncode == 0, restored.output
    assert tree_digest(restored_path(restored)) == latest


def test_a_lost_cache_starts_a_new_chain_and_says_so(cli, bare_key, tmp_path):
    where = places(tmp_path)
    env = pubkey_env(where, bare_key)
    make_tree(where.data)
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    shutil.rmtree(where.cache)  # a lost volume: the target's signatures need the private key
    (where.data / "after the loss").write_text("new\n")
    lost = cli("exec", "home", env=env, timeout=300)
    assert lost.returncode == 0, lost.output
    assert (
        f"[home/load] WARNING: {NEW_CHAIN} {where.cache}/duplicity/home holds no backup chain" in lost.output
    )
    rewrite(where.data / "after the loss", "newer\n")
    latest = tree_digest(where.data)
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    old, new = sorted(chains(where.target).items())
    assert old[1] == [] and len(new[1]) == 1  # the new chain goes on with incrementals

    restored = cli(
        "restore", "home", env={**env, "TASK_home_PRIVATE_KEY_FILE": str(bare_key.private)}, timeout=300
    )
    assert restored.returncode == 0, restored.output  # a key without passphrase: no PASSPHRASE needed
    assert tree_digest(restored_path(restored)) == latest


@pytest.mark.parametrize("public", ["other key", "no key"])
def test_a_public_key_without_the_fingerprint_fails_the_run_at_its_start(
    cli, key, bare_key, tmp_path, public
):
    where = places(tmp_path)
    if public == "no key":
        bad = tmp_path / "bad.asc"
        bad.write_text(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n"
        )
    else:
        bad = bare_key.public
    env = pubkey_env(where, key, PUBLIC_KEY_FILE=str(bad), FINALLY="echo finally ran")
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 1
    expected = (
        f"TASK_home_PUBLIC_KEY holds no key with the fingerprint TASK_home_ENCRYPT_KEY names (it holds: "
        f"{bare_key.fingerprint})"
        if public == "other key"
        else "gpg cannot import TASK_home_PUBLIC_KEY: gpg: no valid OpenPGP data found.; "
        "gpg: import from '[stdin]' failed: Invalid keyring"
    )
    assert f"[home] ERROR: cannot prepare the keyring: {expected}" in result.output
    assert "failed step setup" in result.output and "finally ran" in result.output
    assert "Traceback" not in result.output
    assert not where.target.exists()


def test_key_material_and_its_passphrase_show_nowhere(daemon, key, work_dir, tmp_path):
    """Even with the private key in the daemon's environment (not recommended), a step that prints it,
    notifications, the history, `status --json` and the command lines of the run and of a restore."""
    recorder = Recorder()
    where = places(tmp_path)
    make_tree(where.data)
    env = pubkey_env(
        where, key, PRIVATE_KEY_FILE=str(key.private),
        PREPARE='echo "key: $TASK_home_PRIVATE_KEY"; echo "passphrase: $PASSPHRASE"',
    )  # fmt: skip
    env.update(
        PASSPHRASE=KEY_PASSPHRASE, CONF_NOTIFY_URLS=f"json://127.0.0.1:{recorder.port}/notify",
        CONF_NOTIFY_ON="always",
    )  # fmt: skip
    canaries = [KEY_PASSPHRASE] + [
        line for line in key.private.read_text().splitlines() if len(line) > 16 and "PGP" not in line
    ]
    assert len(canaries) > 3
    try:
        seen: list[str] = []
        outputs = []
        for args in (("exec", "home"), ("restore", "home", "--to", str(tmp_path / "restored"))):
            proc = subprocess.Popen(
                [COMMAND, *args], env=base_env(work_dir, env), stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            while proc.poll() is None:
                seen.extend(line for line in command_lines() if "duplicity" in line or "gpg" in line)
            outputs.append(proc.stdout.read().decode() if proc.stdout else "")
            assert proc.wait() == 0, outputs[-1]
        recorder.wait_for(1)
        status = subprocess.run(
            [COMMAND, "status", "--json"],
            env=base_env(work_dir, env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0
    finally:
        recorder.close()
    assert tree_digest(tmp_path / "restored") == tree_digest(where.data)
    assert any("gpg" in line and "--import" in line for line in seen), seen  # gpg ran: it was sampled
    assert "key: ***" in outputs[0] and "passphrase: ***" in outputs[0]
    assert list((work_dir / "home" / "gnupg").iterdir()) == []  # the restore left no private key there
    bodies = b"".join(request.body for request in recorder.requests)
    assert json.loads(status.stdout)["tasks"][0]["last_run"]["status"] == "succeeded"
    recorded = everything_recorded(work_dir.parent / "state")
    for canary in canaries:
        assert not any(canary in line for line in seen)
        assert canary not in "".join(outputs) + status.stdout + status.stderr
        assert canary.encode() not in recorded + bodies


def test_a_drill_needs_the_private_key_and_passes_with_it(cli, bare_key, work_dir, tmp_path):
    """`verify TASK` decrypts: without PRIVATE_KEY it fails at its start with the reason, with it the
    drill restores, verifies and compares, and leaves no private key in the task's GNUPGHOME."""
    where = places(tmp_path)
    env = pubkey_env(where, bare_key)
    make_tree(where.data)
    backup = cli("exec", "home", env=env, timeout=300)
    assert backup.returncode == 0, backup.output

    without = cli("verify", "home", env=env, timeout=300)
    assert without.returncode == 1, without.output
    assert "cannot prepare the keyring" in without.output and "PRIVATE_KEY_FILE" in without.output

    drill = cli(
        "verify", "home", env={**env, "TASK_home_PRIVATE_KEY_FILE": str(bare_key.private)}, timeout=300
    )
    assert drill.returncode == 0, drill.output
    assert "verified: the latest backup was restored and checked" in drill.output
    assert secret_keys_in(work_dir / "home" / "gnupg") == []
