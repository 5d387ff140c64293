"""What every one of the five images must do: start, carry duplicity 3.2.1 and every curated
backend, and make an encrypted backup that restores byte for byte, also as a non-root user on a
read-only root filesystem."""

from __future__ import annotations

import json

import pytest

from .util import DATA, DUP_OPTS, PASSPHRASE, TARGETS, make_tree, open_dir, tree_digest


@pytest.fixture(scope="module", params=TARGETS)
def image(request, engine):
    return engine.image(request.param)


def test_starts_and_says_duplicity_3_2_1(engine, image):
    proc = engine.run(image, "--version", entrypoint="duplicity")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == ["duplicity", "3.2.1"], proc.stdout


def test_every_curated_backend_loads(engine, image):
    proc = engine.run(image, "/t/check_backends.py", entrypoint="python3", volumes=[f"{DATA}:/t:ro"])
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps({k: v for k, v in report.items() if v}, indent=1)
    assert {
        "s3",
        "b2",
        "sftp",
        "scp",
        "pexpect+sftp",
        "azure",
        "dpbx",
        "onedrive",
        "swift",
        "webdav",
        "ftp",
        "rsync",
        "rclone",
        "par2+",
        "file",
    } <= set(report)


def test_backend_check_fails_when_a_library_is_missing(engine):
    """The check above can fail: hide boto3 and dropbox from it."""
    image = engine.image("duplicity")
    proc = engine.run(
        image,
        "/t/check_backends.py",
        entrypoint="python3",
        volumes=[f"{DATA}:/t:ro"],
        env={"CHECK_BACKENDS_BLOCK": "boto3,dropbox"},
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert report["s3"] and report["dpbx"] and not report["sftp"]


@pytest.mark.parametrize(
    "mode",
    ["default", "user-1000-read-only"],
)
def test_encrypted_backup_and_restore_are_byte_identical(engine, image, tmp_path, mode):
    src = make_tree(tmp_path / "src")
    dst = open_dir(tmp_path / "dst")
    out = open_dir(tmp_path / "out")
    cache = open_dir(tmp_path / "cache")
    volumes = [f"{src}:/data/src:ro", f"{dst}:/data/dst", f"{out}:/data/out", f"{cache}:/cache"]
    run_options = {}
    restore_extra = []
    if mode != "default":
        run_options = {"user": "1000:1000", "read_only": True}
        restore_extra = ["--no-restore-ownership"]
    env = {"PASSPHRASE": PASSPHRASE}

    backup = engine.run(
        image,
        "full",
        *DUP_OPTS,
        "/data/src",
        "file:///data/dst",
        entrypoint="duplicity",
        env=env,
        volumes=volumes,
        **run_options,
    )
    assert backup.returncode == 0, backup.stdout + backup.stderr
    volumes_written = sorted(p.name for p in dst.iterdir())
    assert any(n.endswith(".difftar.gpg") for n in volumes_written), volumes_written
    # encrypted: the plain text of the source appears nowhere in the target
    for path in dst.iterdir():
        assert b"INSERT INTO t VALUES" not in path.read_bytes()
    # the archive cache went to the mounted cache folder
    assert list((cache / "duplicity").iterdir()), "duplicity wrote nothing into $XDG_CACHE_HOME/duplicity"

    restore = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        *restore_extra,
        "file:///data/dst",
        "/data/out/restored",
        entrypoint="duplicity",
        env=env,
        volumes=volumes,
        **run_options,
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert tree_digest(out / "restored") == tree_digest(src)

    wrong = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        "file:///data/dst",
        "/data/out/wrong",
        entrypoint="duplicity",
        env={"PASSPHRASE": "not the passphrase"},
        volumes=volumes,
        **run_options,
    )
    assert wrong.returncode == 31, wrong.stdout + wrong.stderr


def test_no_default_passphrase_and_no_secret_in_the_image(engine, image):
    env = json.loads(engine.inspect(image, "{{json .Config.Env}}"))
    names = {item.partition("=")[0] for item in env}
    assert not names & {"PASSPHRASE", "SIGN_PASSPHRASE", "AWS_SECRET_ACCESS_KEY", "BACKEND_PASSWORD"}, env


def test_lean_no_compiler_pip_cache_docs_or_bytecode(engine, image):
    script = r"""
set -u
for tool in gcc cc c++ g++ make x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc; do
    command -v "$tool" && echo "FOUND compiler $tool"
done
dpkg-query -W -f='${Package}\n' | grep -E -- '-dev$' | sed 's/^/FOUND dev package /'
[ -e /opt/duplicity/bin/pip ] && echo "FOUND pip in the venv"
find / -xdev \( -path /proc -o -path /sys \) -prune -o -type d -name pip -path '*/.cache/*' -print \
    | sed 's/^/FOUND pip cache /'
find /opt -name __pycache__ -o -name '*.pyc' | head -3 | sed 's/^/FOUND bytecode /'
ls /var/lib/apt/lists | grep -v -E '^(lock|partial|auxfiles)$' | head -3 | sed 's/^/FOUND apt list /'
ls /var/cache/apt/*.bin 2>/dev/null | sed 's/^/FOUND apt cache /'
find /usr/share/doc -type f ! -name copyright | head -3 | sed 's/^/FOUND doc /'
find /usr/share/man /usr/share/info /usr/share/locale -type f 2>/dev/null | head -3 \
    | sed 's/^/FOUND man, info or locale file /'
ls /opt/duplicity/share 2>/dev/null | sed 's/^/FOUND venv share /'
true
"""
    proc = engine.run(image, "-c", script, entrypoint="bash")
    assert proc.returncode == 0, proc.stderr
    found = [line for line in proc.stdout.splitlines() if line.startswith("FOUND")]
    assert found == []


def test_runs_as_any_user_with_a_writable_gpg_home(engine, image):
    """GNUPGHOME lands in /tmp and is created on demand, for uid 1000 and for a uid with no passwd entry."""
    for user in ("1000:1000", "4242:4242"):
        proc = engine.run(
            image,
            "-c",
            "echo secret | duplicity --version >/dev/null && "
            "echo payload | gpg --batch --pinentry-mode loopback --passphrase x --symmetric -o /tmp/x.gpg && "
            "stat -c '%a %u' \"$GNUPGHOME\"",
            entrypoint="/bin/sh",
            user=user,
            read_only=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # duplicity's wrapper created GNUPGHOME with mode 700, owned by the user
        assert proc.stdout.split() == ["700", user.split(":")[0]], proc.stdout
