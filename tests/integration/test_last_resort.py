"""No traceback, whatever escapes a command: an internal error is one masked line (exit 70; healthcheck:
unhealthy, exit 1), Ctrl-C exits 130, a reader that went away exits 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import COMMAND, base_env

SECRET = "s3cr3t-Canary-77"


def run_patched(work_dir: Path, patch: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The command's entry point after `patch` (Python) made part of it raise."""
    code = f"import sys\nimport duplicity_cron.cli as cli\n{patch}\nsys.exit(cli.main({argv!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base_env(work_dir, {"SOME_PASSWORD": SECRET, "TASK_a_LOAD": "true"}),
        capture_output=True,
        text=True,
        timeout=60,
    )


RAISE = "def fail(*args):\n    raise {error}\n"


@pytest.mark.parametrize("command", [["check"], ["status"], ["exec", "a"]])
def test_an_internal_error_is_one_masked_line_and_exit_70(work_dir, command):
    patch = RAISE.format(error=f"RuntimeError('broken near {SECRET} \\x1b[2J')")
    patch += f"cli.COMMANDS[{command[0]!r}] = fail"
    result = run_patched(work_dir, patch, command)
    assert result.returncode == 70, result.stderr
    assert "Traceback" not in result.stderr and SECRET not in result.stderr and "\x1b" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(r"duplicity-cron: internal error: RuntimeError: broken near *** \x1b[2J (at ")
    assert line.endswith("in fail); this is a bug of duplicity-cron, please report it")


def test_an_internal_error_of_healthcheck_is_unhealthy_exit_1(work_dir):
    patch = RAISE.format(error=f"ValueError('{SECRET}')") + "cli.healthcheck.reasons_of = fail"
    result = run_patched(work_dir, patch, ["healthcheck"])
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: internal error: ValueError: *** (at ")
    assert result.stderr == ""


def test_ctrl_c_exits_130_without_a_traceback(work_dir):
    result = run_patched(
        work_dir, RAISE.format(error="KeyboardInterrupt") + "cli.COMMANDS['list'] = fail", ["list"]
    )
    assert (result.returncode, result.stderr) == (130, "")


@pytest.mark.parametrize("args", [["--help"], ["list", "--json"], ["status"]])
def test_a_reader_that_went_away_exits_141_without_a_traceback(work_dir, args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write gets EPIPE
    try:
        proc = subprocess.run(
            [COMMAND, *args],
            env=base_env(work_dir, {"TASK_a_LOAD": "true"}),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")
