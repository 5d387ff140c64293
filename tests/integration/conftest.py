"""Integration tests run the installed `duplicity-cron` command as a subprocess, as a user would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN_DIR = Path(sys.executable).parent
COMMAND = str(BIN_DIR / "duplicity-cron")


def base_env_path() -> str:
    """The venv's commands (duplicity-cron, duplicity) first, then the system's."""
    return f"{BIN_DIR}:{os.environ.get('PATH', '/usr/bin:/bin')}"


def base_env(work_dir: Path, extra: Mapping[str, str] = ()) -> dict[str, str]:
    """A clean environment: no TASK_* or CONF_* of the developer's leaks into a test."""
    env = {
        "PATH": base_env_path(),
        "HOME": str(work_dir.parent / "home"),
        "LANG": "C.UTF-8",
        "CONF_WORK_DIR": str(work_dir),
        "CONF_STATE_DIR": str(work_dir.parent / "state"),
    }
    Path(env["HOME"]).mkdir(exist_ok=True)
    env.update(extra)
    return env


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def cli(work_dir: Path) -> Callable[..., Completed]:
    """Run `duplicity-cron ARGS` to completion with `env` on top of a clean environment."""

    def run(*args: str, env: Mapping[str, str] = (), timeout: float = 60) -> Completed:
        proc = subprocess.run(
            [COMMAND, *args],
            env=base_env(work_dir, dict(env)),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Completed(proc.returncode, proc.stdout, proc.stderr)

    return run


class Daemon:
    """`duplicity-cron run` in the background, its output collected in a file."""

    def __init__(self, work_dir: Path, env: Mapping[str, str], args: tuple[str, ...] = ("run",)) -> None:
        self.log_path = work_dir.parent / "daemon.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [COMMAND, *args],
            env=base_env(work_dir, dict(env)),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, timeout: float = 30, count: int = 1) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.output.count(text) >= count:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear {count} time(s) in:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture
def daemon(work_dir: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(env: Mapping[str, str], args: tuple[str, ...] = ("run",)) -> Daemon:
        started.append(Daemon(work_dir, env, args))
        return started[-1]

    yield start
    for each in started:
        each.close()


def processes_with(token: str) -> list[int]:
    """PIDs of live (non-zombie) processes whose command line contains `token`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def require(tool: str) -> str:
    """Path of a tool the test command installs; a missing one is a broken set-up, not a skip."""
    path = shutil.which(tool, path=base_env_path())
    assert path, f"{tool} is not installed; run the README's test command, which installs it"
    return path


def wait_until(predicate: Callable[[], object], timeout: float = 20, what: str = "condition") -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout}s")
