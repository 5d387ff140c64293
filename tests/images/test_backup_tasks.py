"""Backup tasks (TARGET/SOURCE) in the cron image, against real servers on 127.0.0.1: sftp (Debian's
sshd) and s3 (moto). Backup, incremental, retention, `restore TASK` at the latest and at a time between
two backups, `verify TASK`, then a damaged target; and a container re-created with another hostname
and an empty cache volume continuing the same chain."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest

from ..file_changes import rewrite
from .test_backends import Server, _tool, sshd  # noqa: F401  (sshd is a fixture)
from .util import PASSPHRASE, free_port, make_tree, open_dir, tree_digest

# Test speed: one retry, one second apart (the runner's own default is 3, 30 s apart).
FAST = "--num-retries 1 --backend-retry-delay 1"
SSH_OPTS = "'--ssh-options=-oIdentityFile=/keys/id -oUserKnownHostsFile=/keys/known_hosts'"
AWS_SECRET = "canary-Aws-Secret-9b1e77"
_MANIFEST = re.compile(r"duplicity-(?:full\.(?P<full>\w+)|inc\.\w+\.to\.(?P<inc>\w+))\.manifest\.gpg$")


@pytest.fixture(scope="module")
def cron(engine):
    return engine.image("cron")


class Task:
    """One backup task `home` of the cron image: its folders on the host, mounted in each container."""

    def __init__(self, engine, image, tmp_path: Path, url: str, env: dict[str, str], volumes=()):
        self.engine, self.image = engine, image
        self.src = make_tree(tmp_path / "src", big=300_000)
        self.out = open_dir(tmp_path / "out")
        self.state = open_dir(tmp_path / "state")
        self.cache = open_dir(tmp_path / "cache")
        self.volumes = [f"{self.src}:/data:ro", f"{self.out}:/out", f"{self.state}:/var/lib/duplicity-cron",
                        *volumes]  # fmt: skip
        self.env = {
            "PASSPHRASE": PASSPHRASE,
            "CONF_LOG_FORMAT": "text",
            "TASK_home_SOURCE": "/data",
            "TASK_home_TARGET": url,
            **env,
        }

    def run(
        self,
        *args: str,
        cache: Path | None = None,
        hostname: str = "backup-a",
        env=None,
        timeout=300,
        user=None,
    ):
        volumes = [*self.volumes, f"{cache or self.cache}:/cache"]
        return self.engine.run(
            self.image, *args, env={**self.env, **(env or {})}, volumes=volumes, network="host",
            extra=["--hostname", hostname], timeout=timeout, user=user,
        )  # fmt: skip

    def ok(self, *args: str, **kwargs) -> str:
        proc = self.run(*args, **kwargs)
        output = proc.stdout[-4000:] + proc.stderr[-3000:]
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{output}"
        return proc.stdout + proc.stderr


def chains(names: list[str]) -> dict[str, int]:
    """Full backup time -> number of incrementals after it, from the manifest names of a target."""
    fulls, incs = {}, []
    for name in sorted(names):
        match = _MANIFEST.search(name)
        if match and match["full"]:
            fulls[match["full"]] = 0
        elif match:
            incs.append(match["inc"])
    for inc in incs:
        owner = max((full for full in fulls if full < inc), default=None)
        if owner is not None:
            fulls[owner] += 1
    return fulls


def exercise(task: Task, list_target, damage) -> None:
    """Full, incremental, restore latest and in between, verify; a new full with KEEP_FULL=1 leaves one
    chain; then `damage` the target and verify must fail."""
    first = tree_digest(task.src)
    task.ok("exec", "home")
    time.sleep(1.1)  # duplicity's times have one-second resolution
    before_change = int(time.time())
    time.sleep(1.1)
    (task.src / "text.sql").chmod(0o666)
    (task.src / "text.sql").write_text("changed\n")
    latest = tree_digest(task.src)
    task.ok("exec", "home")
    assert list(chains(list_target()).values()) == [1]  # one chain: a full and an incremental

    out = task.ok("restore", "home", "--to", "/out/latest")
    assert tree_digest(task.out / "latest") == latest, out
    task.ok("restore", "home", "--time", str(before_change), "--to", "/out/then")
    assert tree_digest(task.out / "then") == first
    refused = task.run("restore", "home", "--to", "/out/latest")
    assert refused.returncode == 2 and "not empty" in refused.stderr

    verified = task.ok("verify", "home")
    assert PASSPHRASE not in verified

    # FULL_EVERY of 1 s makes the next backup a full; KEEP_FULL=1 then removes the older chain.
    time.sleep(1.1)
    task.ok("exec", "home", env={"TASK_home_FULL_EVERY": "1s", "TASK_home_KEEP_FULL": "1"})
    assert list(chains(list_target()).values()) == [0]
    out = task.ok("restore", "home", "--to", "/out/after-retention")
    assert tree_digest(task.out / "after-retention") == latest, out

    damage()
    failed = task.run("verify", "home")
    assert failed.returncode == 1, failed.stdout[-3000:] + failed.stderr[-3000:]
    history = [json.loads(p.read_text()) for p in task.state.rglob("*.json") if "runs" in p.parts]
    assert any(run["trigger"] == "verify" and run["status"] == "failed" for run in history)
    everything = failed.stdout + failed.stderr + "".join(p.read_text() for p in task.state.rglob("*.json"))
    assert PASSPHRASE not in everything and AWS_SECRET not in everything


def test_sftp_target(engine, cron, tmp_path, sshd):  # noqa: F811
    target = open_dir(tmp_path / "sftp-target")
    url = f"sftp://root@127.0.0.1:{sshd['port']}/{target}"
    task = Task(engine, cron, tmp_path, url, {"TASK_home_OPTIONS": f"{FAST} {SSH_OPTS}"},
                volumes=[f"{sshd['keys']}:/keys:ro"])  # fmt: skip

    def names() -> list[str]:
        return [p.name for p in target.iterdir()]

    def delete_a_volume() -> None:
        volume = sorted(target.glob("*.difftar.gpg"))[0]
        volume.unlink()

    exercise(task, names, delete_a_volume)


def test_s3_target(engine, cron, tmp_path):
    port = free_port()
    server = Server([_tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)], port, tmp_path / "moto.log")
    try:
        import boto3

        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id="testing",
                          aws_secret_access_key=AWS_SECRET, region_name="us-east-1")  # fmt: skip
        s3.create_bucket(Bucket="backups")
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "TASK_home_OPTIONS": f"{FAST} --s3-endpoint-url http://127.0.0.1:{port}",
        }
        task = Task(engine, cron, tmp_path, "s3:///backups/home", env)

        def names() -> list[str]:
            listed = s3.list_objects_v2(Bucket="backups", Prefix="home/")
            return [item["Key"] for item in listed.get("Contents", [])]

        def flip_a_byte() -> None:
            key = sorted(name for name in names() if name.endswith(".difftar.gpg"))[-1]
            body = bytearray(s3.get_object(Bucket="backups", Key=key)["Body"].read())
            body[len(body) // 2] ^= 0xFF
            s3.put_object(Bucket="backups", Key=key, Body=bytes(body))

        exercise(task, names, flip_a_byte)
    finally:
        server.stop()


def test_a_new_container_with_another_hostname_and_an_empty_cache_continues_the_chain(engine, cron, tmp_path):
    target = open_dir(tmp_path / "target")
    task = Task(engine, cron, tmp_path, "file:///target", {"TASK_home_OPTIONS": FAST},
                volumes=[f"{target}:/target"])  # fmt: skip
    task.ok("exec", "home", hostname="first-container")
    (task.src / "text.sql").chmod(0o666)
    rewrite(task.src / "text.sql", "changed again\n")
    latest = tree_digest(task.src)
    empty_cache = open_dir(tmp_path / "new-cache")
    out = task.ok("exec", "home", hostname="second-container", cache=empty_cache)
    assert "host has changed" not in out
    names = [p.name for p in target.iterdir()]
    assert list(chains(names).values()) == [1], names  # an incremental of the same chain, not a new full
    assert any(empty_cache.rglob("*.manifest")), "the new cache was filled from the target"
    task.ok("restore", "home", "--to", "/out/restored", hostname="third-container", cache=empty_cache)
    assert tree_digest(task.out / "restored") == latest


def test_restore_and_verify_as_uid_1000_keep_the_modes_of_files_it_does_not_own(engine, cron, tmp_path):
    """As any user but root, duplicity cannot give a restored file another owner, and 3.2.1 then loses
    its mode too (and exits 0): the built-in restore does not restore ownership, so modes come back,
    and a drill passes."""
    target = open_dir(tmp_path / "target")
    task = Task(engine, cron, tmp_path, "file:///target", {"TASK_home_OPTIONS": FAST},
                volumes=[f"{target}:/target"])  # fmt: skip
    private = task.src / "private"
    private.mkdir()
    (private / "notes").write_text("readable by uid 1000 only\n")
    os.chown(private / "notes", 1000, 1000)
    os.chown(private, 1000, 0)  # the group is one uid 1000 cannot give
    private.chmod(0o700)
    (private / "notes").chmod(0o600)
    for folder in (task.state, task.cache, task.out):
        os.chown(folder, 1000, 1000)
    task.ok("exec", "home", user="1000:1000")
    out = task.ok("restore", "home", "--to", "/out/restored", user="1000:1000")
    assert "Operation not permitted" not in out
    restored = task.out / "restored" / "private"
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    assert stat.S_IMODE((restored / "notes").stat().st_mode) == 0o600
    assert (restored / "notes").read_text() == "readable by uid 1000 only\n"
    task.ok("verify", "home", user="1000:1000")
