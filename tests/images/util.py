"""Helpers for the image tests: the container engine, image builds, test trees."""

from __future__ import annotations

import hashlib
import os
import random
import shlex
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
TARGETS = ("duplicity", "cron", "mariadb", "mysql", "postgres", "docker")
CRON_TARGETS = ("cron", "mariadb", "mysql", "postgres", "docker")
# Another name keeps the images of a second checkout (a branch under test) apart from these.
IMAGE_PREFIX = os.environ.get("DUPLICITY_CRON_TEST_IMAGE", "localhost/duplicity-cron-test")
# Options that keep duplicity quick and quiet in tests (no stray DEBUG lines, no 30 s retries).
DUP_OPTS = ["--num-retries", "1", "--backend-retry-delay", "1", "-v", "warning", "--no-print-statistics"]
PASSPHRASE = "correct horse battery staple"


class EngineError(AssertionError):
    pass


@dataclass
class Engine:
    """The container engine CLI (docker or podman) with the environment setup-podman.sh exported."""

    name: str
    env: dict[str, str]
    build_seconds: dict[str, float] = field(default_factory=dict)
    _built: dict[str, str | BaseException] = field(default_factory=dict)

    def cmd(self, *args: str, timeout: float = 120, check: bool = True, input: str | None = None):
        proc = subprocess.run(
            [self.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            input=input,
            check=False,
        )
        if check and proc.returncode != 0:
            raise EngineError(
                f"{self.name} {shlex.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
            )
        return proc

    def image(self, target: str) -> str:
        """The image of a Dockerfile target, built once per session (the layer cache is reused)."""
        if target not in self._built:
            tag = f"{IMAGE_PREFIX}:{target}"
            # podman writes OCI images unless told otherwise, and OCI has no HEALTHCHECK
            pull = ["--pull=never", "--format", "docker"] if self.name == "podman" else ["--pull=false"]
            started = time.monotonic()
            log = REPO / ".cache" / f"build-{target}.log"
            log.parent.mkdir(exist_ok=True)
            with log.open("w") as out:
                proc = subprocess.run(
                    [
                        self.name,
                        "build",
                        *pull,
                        "--target",
                        target,
                        "--build-arg",
                        "VERSION=test",
                        "-t",
                        tag,
                        str(REPO),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    timeout=1200,
                    check=False,
                )
            self.build_seconds[target] = time.monotonic() - started
            if proc.returncode != 0:
                tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
                self._built[target] = EngineError(f"building target {target} failed (log {log}):\n{tail}")
            else:
                self._built[target] = tag
        result = self._built[target]
        if isinstance(result, BaseException):
            raise result
        return result

    def run(
        self,
        image: str,
        *args: str,
        entrypoint: str | None = None,
        user: str | None = None,
        env: dict[str, str] | None = None,
        volumes: list[str] | tuple[str, ...] = (),
        read_only: bool = False,
        network: str | None = None,
        extra: list[str] | tuple[str, ...] = (),
        timeout: float = 180,
        check: bool = False,
    ):
        """`run --rm` a container to completion; returns the CompletedProcess."""
        options = ["run", "--rm"]
        if entrypoint is not None:
            options += ["--entrypoint", entrypoint]
        if user:
            options += ["--user", user]
        if read_only:
            options += ["--read-only", "--tmpfs", "/tmp"]
        if network:
            options += ["--network", network]
        for key, value in (env or {}).items():
            options += ["-e", f"{key}={value}"]
        for volume in volumes:
            options += ["-v", volume]
        return self.cmd(*options, *extra, image, *args, timeout=timeout, check=check)

    def inspect(self, image: str, fmt: str) -> str:
        return self.cmd("image", "inspect", "--format", fmt, image).stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def open_dir(path: Path) -> Path:
    """A folder any container user can write (bind mounts keep host permissions)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def make_tree(root: Path, seed: int = 1, big: int = 1_500_000) -> Path:
    """A test tree: random and compressible data, empty file, nested folders, odd names, a symlink,
    an executable, an empty folder."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "random.bin").write_bytes(rng.randbytes(big))
    (root / "text.sql").write_text("".join(f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(20000)))
    (root / "empty").write_bytes(b"")
    deep = root / "a" / "b" / "c"
    deep.mkdir(parents=True)
    for i in range(30):
        (deep / f"small-{i}.txt").write_bytes(rng.randbytes(rng.randint(1, 5000)))
    (root / "spaces and ünïcödé.txt").write_text("naïve café\n")
    script = root / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    (root / "link-to-text").symlink_to("text.sql")
    (root / "empty-dir").mkdir()
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    return root


def tree_digest(root: Path) -> dict[str, tuple]:
    """Every entry under root: type, mode bits, and content hash or link target."""
    entries: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                entries[rel] = (
                    "file",
                    stat.S_IMODE(st.st_mode),
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                )
    return entries
