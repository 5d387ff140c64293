"""scripts/run-local.sh, the one command that runs the local example: here with its install steps
skipped (NO_INSTALL, this venv as VENV) and the demo folder in a temporary one (DEMO)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import BIN_DIR, base_env_path
from .test_duplicity_roundtrip import tree_digest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run-local.sh"


def wait_for(proc: subprocess.Popen[bytes], log: Path, text: str, timeout: float = 120) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        output = log.read_text()
        if text in output:
            return output
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{text!r} did not appear in:\n{log.read_text()}")


def printed_commands(output: str) -> tuple[str, dict[str, str]]:
    """What the script prints for another terminal: the venv's activation, and the commands by
    their last words ("restore backup", "status"), each without its comment."""
    block = output.split("From another terminal:\n", 1)[1].split("\n\n", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("  ")]
    return lines[0], {" ".join(shlex.split(line)[3:]): line for line in lines[1:]}


def without_venv(path: str) -> str:
    """PATH as in another terminal, where the venv is not active."""
    return os.pathsep.join(part for part in path.split(os.pathsep) if part != str(BIN_DIR))


@pytest.mark.slow
def test_run_local_backs_up_then_schedules_and_prints_commands_that_work(tmp_path):
    demo = tmp_path / "demo"
    log = tmp_path / "run-local.log"
    env = {
        "PATH": base_env_path(),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "VENV": str(BIN_DIR.parent),
        "NO_INSTALL": "1",
        "DEMO": str(demo),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            wait_for(proc, log, "[backup] run succeeded")
            output = wait_for(proc, log, "scheduler ready")
            proc.send_signal(signal.SIGTERM)  # the script exec'd the scheduler: it gets the signal
            assert proc.wait(30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "configuration OK: 1 task(s)" in output
    assert len(list((demo / "target").glob("duplicity-full.*.manifest.gpg"))) == 1
    assert (demo / "data" / "README.md").is_file()
    passphrase = demo / "passphrase"
    assert passphrase.stat().st_mode & 0o777 == 0o600
    secret = passphrase.read_text().strip()
    assert len(secret) >= 40
    assert f"--env-file {demo}/local-folder.env" in output  # the example, with DEMO's paths

    activate, commands = printed_commands(output)
    assert activate == f". {BIN_DIR}/activate"
    assert sorted(commands) == ["restore backup", "status", "verify backup"]
    terminal = {**env, "PATH": without_venv(os.environ["PATH"])}
    ran = {
        name: subprocess.run(
            ["bash", "-c", f"{activate} && {line}"],
            env=terminal,
            capture_output=True,
            text=True,
            timeout=300,
        )
        for name, line in commands.items()
    }
    for name, done in ran.items():
        assert done.returncode == 0, (name, done.stdout + done.stderr)
    restored = Path(ran["restore backup"].stdout.strip().splitlines()[-1])
    assert restored.parent == demo / "work" / "backup" / "restores"
    assert tree_digest(restored) == tree_digest(demo / "data")
    verified = ran["verify backup"]
    assert "verified: the latest backup was restored and checked" in verified.stdout + verified.stderr
    assert secret not in log.read_text() + "".join(d.stdout + d.stderr for d in ran.values())


@pytest.mark.parametrize(
    ("args", "extra", "code", "message"),
    [
        ((), {"NO_INSTALL": "1", "VENV": "/nonexistent"}, 1, "/nonexistent/bin/duplicity-cron is missing"),
        (("--bad",), {}, 2, "unknown argument '--bad'"),
        (("--no-install",), {"DEMO": "relative/demo"}, 2, "DEMO must be an absolute path"),
    ],
)
def test_run_local_refuses_what_it_cannot_run_in_one_line(tmp_path, args, extra, code, message):
    env = {"PATH": base_env_path(), "HOME": str(tmp_path), "DEMO": str(tmp_path / "demo"), **extra}
    done = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()
