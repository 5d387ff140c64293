"""A real backup and restore: duplicity 3.x, gpg symmetric encryption, a file:// target.

The passphrase is a canary: a step prints it on purpose, and it must appear in no output.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from pathlib import Path

import pytest

from .conftest import require

CANARY = "canary-Pa55phrase-7f3c91"


def make_tree(root: Path) -> None:
    """Text, incompressible binary, empty and nested files, odd names, a symlink."""
    rng = random.Random(1234)
    (root / "db").mkdir(parents=True)
    (root / "db" / "dump.sql").write_text(
        "".join(f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(20000))
    )
    (root / "blobs" / "deep" / "er").mkdir(parents=True)
    (root / "blobs" / "random.bin").write_bytes(rng.randbytes(3 * 1024 * 1024 + 17))
    (root / "blobs" / "deep" / "er" / "small.bin").write_bytes(rng.randbytes(100))
    (root / "empty").write_bytes(b"")
    (root / "été à l'école.txt").write_text("unicode name\n")
    (root / "link").symlink_to("db/dump.sql")


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of content (or link target), for a byte-for-byte comparison."""
    digests = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            digests[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digests[rel] = "dir"
    return digests


@pytest.mark.slow
def test_backup_then_restore_is_byte_identical_and_the_passphrase_never_shows(cli, tmp_path):
    require("duplicity")
    require("gpg")
    data, target, cache = tmp_path / "data", tmp_path / "target", tmp_path / "cache"
    make_tree(data)
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(CANARY + "\n")
    duplicity = "duplicity --no-print-statistics -v warning --archive-dir " + str(cache)
    env = {
        "GNUPGHOME": str(gnupg),
        "PASSPHRASE_FILE": str(secret_file),
        "TASK_backup_PREPARE": 'echo "leak attempt: $PASSPHRASE"; echo "and on stderr: $PASSPHRASE" >&2',
        "TASK_backup_LOAD": f"{duplicity} full {data} file://{target}",
        "TASK_backup_FINALLY": f"gpgconf --homedir {gnupg} --kill gpg-agent",
        "TASK_restore_RESTORE": "1",
        "TASK_restore_LOAD": f'{duplicity} restore file://{target} "$DST/restored"',
        "TASK_restore_SUCCEED": f'rm -rf {tmp_path}/restored && cp -a "$DST/restored" {tmp_path}/restored',
        "TASK_restore_FINALLY": f"gpgconf --homedir {gnupg} --kill gpg-agent",
    }
    backup = cli("exec", "backup", env=env, timeout=300)
    assert backup.returncode == 0, backup.output
    volumes = list(target.glob("duplicity-full.*.vol1.difftar.gpg"))
    assert volumes, f"no encrypted volume in {list(target.iterdir())}"
    assert CANARY.encode() not in volumes[0].read_bytes()

    restore = cli("restore", env=env, timeout=300)
    assert restore.returncode == 0, restore.output
    assert tree_digest(tmp_path / "restored") == tree_digest(data)

    json_run = cli("exec", "backup", env={**env, "CONF_LOG_FORMAT": "json"}, timeout=300)
    outputs = backup.output + restore.output + json_run.output
    assert "leak attempt: ***" in backup.stdout and "and on stderr: ***" in backup.stdout
    assert '"message": "leak attempt: ***"' in json_run.stdout
    assert CANARY not in outputs


@pytest.mark.slow
def test_restore_with_a_wrong_passphrase_fails_with_duplicity_exit_code(cli, tmp_path):
    require("duplicity")
    data, target = tmp_path / "data", tmp_path / "target"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "file").write_text("content\n")
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    duplicity = f"duplicity --no-print-statistics -v warning --archive-dir {tmp_path}/cache"
    common = {
        "GNUPGHOME": str(gnupg),
        "TASK_r_RESTORE": "1",
        "TASK_b_LOAD": f"{duplicity} full {data} file://{target}",
    }
    common["TASK_r_LOAD"] = f'{duplicity} restore file://{target} "$DST/out"'
    assert cli("exec", "b", env={**common, "PASSPHRASE": "right-one"}, timeout=300).returncode == 0
    result = cli("restore", env={**common, "PASSPHRASE": "wrong-one"}, timeout=300)
    subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False)
    assert result.returncode == 1
    summary = result.stdout.splitlines()[-1]
    assert "run failed" in summary and "failed step load" in summary
    assert "exit code 31" in summary  # duplicity's code for a wrong passphrase on restore
    assert "wrong-one" not in result.output
