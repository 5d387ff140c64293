"""Fixtures of the image tests: a working container engine (never skipped: if it cannot be set up,
every test fails), and each Dockerfile target built once per session on the shared layer cache."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from .util import IMAGE_PREFIX, REPO, Engine

_ENGINE: Engine | None = None


def pytest_configure(config):
    config.addinivalue_line("markers", "images: builds and runs the container images (tests/images)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/images/" in str(item.fspath):
            item.add_marker(pytest.mark.images)


@pytest.fixture(scope="session")
def engine() -> Engine:
    """docker where `docker info` answers, otherwise rootful podman, set up by setup-podman.sh."""
    global _ENGINE
    script = REPO / "scripts" / "images" / "setup-podman.sh"
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1200, check=False)
    if proc.returncode != 0:
        pytest.fail(f"container engine setup failed ({script}):\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    env = dict(os.environ)
    for line in proc.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    name = env.get("ENGINE")
    if name not in ("docker", "podman"):
        pytest.fail(f"setup-podman.sh named no engine:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    _ENGINE = Engine(name=name, env=env)
    return _ENGINE


@pytest.fixture(scope="session")
def api_socket(engine):
    """A Docker API socket of the engine that runs the tests' containers."""
    if engine.name == "docker":
        yield "/var/run/docker.sock"
        return
    folder = Path(tempfile.mkdtemp(prefix="dct-podman-api-"))
    sock = folder / "podman.sock"
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{sock}"],
        env=engine.env,
        stdout=(folder / "service.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sock.exists(), (folder / "service.log").read_text()
    yield str(sock)
    proc.terminate()
    proc.wait(20)


@pytest.fixture
def containers(engine):
    """Names for detached containers; each is removed (rm -f) after the test."""
    names: list[str] = []

    def new(prefix: str = "dct") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name

    yield new
    for name in names:
        quick = ["-t", "0"] if engine.name == "podman" else []
        engine.cmd("rm", "-f", *quick, name, check=False, timeout=60)


def pytest_terminal_summary(terminalreporter):
    if _ENGINE and _ENGINE.build_seconds:
        terminalreporter.write_sep("-", f"image builds ({_ENGINE.name})")
        for target, seconds in _ENGINE.build_seconds.items():
            size = _ENGINE.cmd(
                "image",
                "inspect",
                "--format",
                "{{.Size}}",
                f"{IMAGE_PREFIX}:{target}",
                check=False,
            ).stdout.strip()
            size_mb = f"{int(size) / 1e6:.0f} MB" if size.isdigit() else "?"
            terminalreporter.write_line(f"{target:10s} built in {seconds:6.1f} s, {size_mb}")
