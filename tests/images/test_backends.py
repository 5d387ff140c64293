"""Backends end to end, from inside the duplicity image, against real local servers started here on
free ports of 127.0.0.1 (the containers use the host's network): backup, restore, compare."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .util import DUP_OPTS, PASSPHRASE, free_port, make_tree, open_dir, tree_digest, wait_for_port

VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def image(engine):
    return engine.image("duplicity")


class Server:
    def __init__(self, args, port, log: Path, env=None):
        self.port = port
        self.log = log
        self.proc = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            self.stop()
            raise AssertionError(f"{args[0]} did not start:\n{log.read_text()[-3000:]}") from None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{name} missing: install requirements/images-test.txt (scripts/images/test.sh does)")
    return str(path)


def roundtrip(engine, image, tmp_path: Path, url: str, *, env=None, volumes=(), options=()):
    """Full encrypted backup of a generated tree to URL, restore to a mounted folder, compare."""
    src = make_tree(tmp_path / "src", big=400_000)
    out = open_dir(tmp_path / "out")
    cache = open_dir(tmp_path / "cache")
    vols = [f"{src}:/data/src:ro", f"{out}:/data/out", f"{cache}:/cache", *volumes]
    env = {"PASSPHRASE": PASSPHRASE, **(env or {})}
    backup = engine.run(
        image,
        "full",
        *DUP_OPTS,
        *options,
        "/data/src",
        url,
        entrypoint="duplicity",
        env=env,
        volumes=vols,
        network="host",
    )
    assert backup.returncode == 0, backup.stdout[-3000:] + backup.stderr[-3000:]
    restore = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        *options,
        url,
        "/data/out/restored",
        entrypoint="duplicity",
        env=env,
        volumes=vols,
        network="host",
    )
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr[-3000:]
    assert tree_digest(out / "restored") == tree_digest(src)
    return src


def _backup_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("duplicity-*") if p.is_file())


def _assert_backup_set(names: list[str]):
    assert any(n.endswith(".difftar.gpg") for n in names), names
    assert any(n.endswith(".manifest.gpg") for n in names), names


# --- ssh: sftp (paramiko), pexpect+sftp (OpenSSH), rsync over ssh -----------------------------


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    home = tmp_path_factory.mktemp("sshd")
    for cmd in (
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "host_key")],
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "id")],
    ):
        subprocess.run(cmd, check=True)
    (home / "authorized_keys").write_text((home / "id.pub").read_text())
    port = free_port()
    config = home / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home}/host_key\nPidFile {home}/sshd.pid\n"
        f"AuthorizedKeysFile {home}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        "Subsystem sftp internal-sftp\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)
    sshd_bin = shutil.which("sshd") or "/usr/sbin/sshd"
    server = Server([sshd_bin, "-f", str(config), "-D", "-e"], port, home / "sshd.log")
    keys = home / "keys"
    keys.mkdir()
    shutil.copy(home / "id", keys / "id")
    (keys / "id").chmod(0o600)
    host_pub = (home / "host_key.pub").read_text().split()
    (keys / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    yield {"port": port, "keys": keys}
    server.stop()


SSH_OPTS = "--ssh-options=-oIdentityFile=/keys/id -oUserKnownHostsFile=/keys/known_hosts"


@pytest.mark.parametrize("scheme", ["sftp", "pexpect+sftp", "scp"])
def test_ssh_backends(engine, image, tmp_path, sshd, scheme):
    target = tmp_path / "remote"
    target.mkdir()
    url = f"{scheme}://root@127.0.0.1:{sshd['port']}/{target}"
    roundtrip(engine, image, tmp_path, url, volumes=[f"{sshd['keys']}:/keys:ro"], options=[SSH_OPTS])
    _assert_backup_set(_backup_files(target))


def test_unknown_ssh_host_key_is_refused(engine, image, tmp_path, sshd):
    """Not a test of a backend's happy path: the host key check is real (code 50 on an unknown key)."""
    keys = tmp_path / "keys"
    shutil.copytree(sshd["keys"], keys)
    (keys / "known_hosts").write_text("")
    src = make_tree(tmp_path / "src", big=1000)
    proc = engine.run(
        image,
        "full",
        *DUP_OPTS,
        SSH_OPTS,
        "/src",
        f"sftp://root@127.0.0.1:{sshd['port']}/{tmp_path}/x",
        entrypoint="duplicity",
        env={"PASSPHRASE": PASSPHRASE},
        volumes=[f"{keys}:/keys:ro", f"{src}:/src:ro"],
        network="host",
    )
    assert proc.returncode == 50, proc.stdout + proc.stderr


def test_rsync_over_ssh(engine, image, tmp_path, sshd):
    target = tmp_path / "rsync-remote"
    target.mkdir()
    url = f"rsync://root@127.0.0.1:{sshd['port']}/{target}"
    roundtrip(engine, image, tmp_path, url, volumes=[f"{sshd['keys']}:/keys:ro"], options=[SSH_OPTS])
    _assert_backup_set(_backup_files(target))


# --- s3 (boto3) against moto ------------------------------------------------------------------


def test_s3_against_moto(engine, image, tmp_path):
    port = free_port()
    server = Server([_tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)], port, tmp_path / "moto.log")
    try:
        import boto3

        creds = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="backups")
        roundtrip(
            engine,
            image,
            tmp_path,
            "s3:///backups/host1",
            env=creds,
            options=["--s3-endpoint-url", f"http://127.0.0.1:{port}"],
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="backups")["Contents"]]
        assert all(k.startswith("host1/") for k in keys), keys
        _assert_backup_set([k.split("/")[-1] for k in keys])
    finally:
        server.stop()


# --- webdav against wsgidav -------------------------------------------------------------------


def test_webdav_against_wsgidav(engine, image, tmp_path):
    root = tmp_path / "dav"
    (root / "backups").mkdir(parents=True)
    port = free_port()
    server = Server(
        [
            _tool("wsgidav"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--root",
            str(root),
            "--auth",
            "anonymous",
            "--server",
            "cheroot",
            "--no-config",
        ],
        port,
        tmp_path / "wsgidav.log",
    )
    try:
        roundtrip(
            engine,
            image,
            tmp_path,
            f"webdav://user@127.0.0.1:{port}/backups",
            env={"BACKEND_PASSWORD": "unused"},
        )
        _assert_backup_set(_backup_files(root / "backups"))
    finally:
        server.stop()


# --- ftp (lftp) against pyftpdlib -------------------------------------------------------------


def test_ftp_against_pyftpdlib(engine, image, tmp_path):
    root = tmp_path / "ftproot"
    (root / "backups").mkdir(parents=True)
    port = free_port()
    server = Server(
        [
            sys.executable,
            "-m",
            "pyftpdlib",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-d",
            str(root),
            "-w",
            "-u",
            "backup",
            "-P",
            "s3cret",
        ],
        port,
        tmp_path / "ftp.log",
    )
    try:
        roundtrip(
            engine,
            image,
            tmp_path,
            f"ftp://backup@127.0.0.1:{port}/backups",
            env={"BACKEND_PASSWORD": "s3cret"},
        )
        _assert_backup_set(_backup_files(root / "backups"))
    finally:
        server.stop()


# --- rclone to a local remote -----------------------------------------------------------------


def test_rclone_local_remote(engine, image, tmp_path):
    target = open_dir(tmp_path / "rclone-target")
    roundtrip(
        engine,
        image,
        tmp_path,
        "rclone://localdisk://data/target/backups",
        env={"RCLONE_CONFIG_LOCALDISK_TYPE": "local"},
        volumes=[f"{target}:/data/target"],
    )
    _assert_backup_set(_backup_files(target / "backups"))


# --- par2 wrapper: a damaged volume is repaired on restore ------------------------------------


def test_par2_repairs_a_damaged_volume(engine, image, tmp_path):
    target = open_dir(tmp_path / "par2-target")
    src = roundtrip(engine, image, tmp_path, "par2+file:///data/target", volumes=[f"{target}:/data/target"])
    names = _backup_files(target)
    assert any(n.endswith(".par2") for n in names), names
    volume = next(p for p in target.iterdir() if p.name.endswith(".difftar.gpg"))
    data = bytearray(volume.read_bytes())
    for offset in (100, len(data) // 2):
        data[offset] ^= 0xFF
    volume.write_bytes(bytes(data))
    out = open_dir(tmp_path / "out2")
    restore = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        "par2+file:///data/target",
        "/data/out/restored",
        entrypoint="duplicity",
        env={"PASSPHRASE": PASSPHRASE},
        volumes=[f"{target}:/data/target", f"{out}:/data/out"],
    )
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr[-3000:]
    assert tree_digest(out / "restored") == tree_digest(src)
    # and without par2 the same damage is fatal: the repair above was real
    plain = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        "file:///data/target",
        "/data/out/plain",
        entrypoint="duplicity",
        env={"PASSPHRASE": PASSPHRASE},
        volumes=[f"{target}:/data/target", f"{out}:/data/out"],
    )
    assert plain.returncode != 0
