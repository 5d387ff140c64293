"""The built-in backup's failures said in one line (`targets.duplicity_errors`), and a backup that
fails on a damaged local cache run once more with the cache rebuilt from the target."""

from __future__ import annotations

from .backups import backup_env, chains, places, wait_for_the_next_second
from .test_duplicity_roundtrip import make_tree, tree_digest


def test_a_damaged_signature_in_the_cache_is_rebuilt_and_the_backup_succeeds(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where)
    make_tree(where.data)
    assert cli("exec", "home", env=env).returncode == 0
    [signatures] = (where.cache / "duplicity" / "home").glob("duplicity-full-signatures.*.sigtar.gz")
    signatures.write_bytes(b"garbage, not gzip")
    wait_for_the_next_second()
    (where.data / "db" / "dump.sql").write_text("changed after the damage\n")
    expected = tree_digest(where.data)

    again = cli("exec", "home", env=env, timeout=300)
    assert again.returncode == 0, again.output
    assert "duplicity's local cache is damaged" in again.stdout, again.stdout[-3000:]
    assert "backing up once more with duplicity's cache rebuilt from the target" in again.stdout
    assert (where.cache / "duplicity" / "home.damaged").is_dir()
    assert len(chains(where.target)) == 1  # the incremental continued the chain

    restored = cli("restore", "home", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert restored.returncode == 0, restored.output
    assert tree_digest(tmp_path / "r") == expected


def test_a_backup_with_the_wrong_passphrase_ends_on_one_line_that_says_so(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where)
    make_tree(where.data)
    assert cli("exec", "home", env=env).returncode == 0
    wrong = {**env, "PASSPHRASE": "another-passphrase-entirely", "XDG_CACHE_HOME": str(tmp_path / "fresh")}
    failed = cli("exec", "home", env=wrong, timeout=300)
    assert failed.returncode == 1
    errors = [line for line in failed.stdout.splitlines() if "[home/load] ERROR:" in line]
    assert len(errors) == 1, failed.stdout[-3000:]
    assert "passphrase" in errors[0].lower() and "(duplicity exit code 31)" in errors[0], errors[0]
    assert "rebuilt" not in failed.stdout  # a wrong key is no damaged cache


def test_a_drill_on_a_damaged_cache_rebuilds_it_and_passes(cli, tmp_path):
    where = places(tmp_path)
    env = backup_env(where)
    make_tree(where.data)
    assert cli("exec", "home", env=env).returncode == 0
    [manifest] = (where.cache / "duplicity" / "home").glob("duplicity-full.*.manifest")
    text = manifest.read_text(errors="surrogateescape")
    manifest.write_text(text.replace("Hash SHA1 ", "Hash SHA1 0000", 1), errors="surrogateescape")

    drill = cli("verify", "home", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    assert "restoring once more with duplicity's cache rebuilt from the target" in drill.stdout
    assert (where.cache / "duplicity" / "home.damaged").is_dir()


def test_a_venv_that_is_not_activated_backs_up_with_its_own_duplicity(cli, tmp_path):
    """`.venv/bin/duplicity-cron exec` with the venv's bin folder off PATH: its duplicity is found."""
    where = places(tmp_path)
    env = {**backup_env(where), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    make_tree(where.data)
    result = cli("exec", "home", env=env, timeout=300)
    assert result.returncode == 0, result.output
    assert len(chains(where.target)) == 1
