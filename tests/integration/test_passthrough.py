"""Another command that cannot be started: one line on stderr, and bash's 127 (not found) or 126 (found
but cannot be executed); never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import base_env


def assert_one_line(stderr: str, *parts: str) -> None:
    assert "Traceback" not in stderr
    [line] = stderr.splitlines()
    assert line.startswith("duplicity-cron: ")
    for part in parts:
        assert part in line, line


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    script = folder / "no-shebang"
    script.write_text("echo this must not run\n")
    script.chmod(0o755)
    binary = folder / "foreign-binary"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\xff" + b"\0" * 56)
    binary.chmod(0o755)
    plain = folder / "not-executable"
    plain.write_text("#!/bin/sh\necho this must not run\n")
    plain.chmod(0o644)
    (folder / "a-folder").mkdir()
    return folder


def test_an_empty_command_name_is_not_found(cli):
    result = cli("")
    assert result.returncode == 127
    assert_one_line(result.stderr, "'': command not found")


@pytest.mark.parametrize("name", ["no-shebang", "foreign-binary"])
def test_an_executable_file_that_is_no_program_cannot_be_executed(cli, files, name):
    result = cli(str(files / name))
    assert result.returncode == 126
    assert_one_line(result.stderr, f"{files / name}: cannot execute", "#!")
    assert result.stdout == ""


def test_a_folder_cannot_be_executed(cli, files):
    result = cli(str(files / "a-folder"))
    assert result.returncode == 126
    assert_one_line(result.stderr, "a-folder: cannot execute: is a folder")


def test_a_file_without_the_x_bit_cannot_be_executed(cli, files):
    result = cli(str(files / "not-executable"))
    assert result.returncode == 126
    assert_one_line(result.stderr, "not-executable: cannot execute: permission denied")
    assert result.stdout == ""


def test_a_file_without_the_x_bit_on_the_path_cannot_be_executed(cli, files):
    result = cli("not-executable", env={"PATH": f"{files}:{base_env(files)['PATH']}"})
    assert result.returncode == 126
    assert_one_line(result.stderr, "not-executable: cannot execute: permission denied")


def test_a_path_through_a_file_cannot_be_executed(cli, files):
    result = cli(str(files / "no-shebang" / "x"))
    assert result.returncode == 126
    assert_one_line(result.stderr, "cannot execute: Not a directory")


@pytest.mark.parametrize("name", ["no-such-command-here", "a-folder"])
def test_a_name_not_on_the_path_is_not_found(cli, name):
    result = cli(name)  # a-folder exists in the test's folder, not on PATH: like bash, not found
    assert result.returncode == 127
    assert_one_line(result.stderr, f"{name}: command not found")


def test_a_missing_path_is_not_found(cli, files):
    result = cli(str(files / "missing"))
    assert result.returncode == 127
    assert_one_line(result.stderr, "missing: no such file")


def test_a_name_with_control_characters_is_shown_escaped(cli):
    result = cli("evil\x1b[2Jname")
    assert result.returncode == 127
    assert_one_line(result.stderr, r"'evil\x1b[2Jname': command not found")
    assert "\x1b" not in result.stderr


def run_main(work_dir: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The command's entry point with an argv no exec can pass (NUL bytes end C strings)."""
    code = f"import sys; from duplicity_cron.cli import main; sys.exit(main({argv!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], env=base_env(work_dir), capture_output=True, text=True, timeout=60
    )


def test_a_nul_byte_in_the_command_name_is_not_found(work_dir):
    result = run_main(work_dir, ["sh\0x", "-c", "true"])
    assert result.returncode == 127
    assert_one_line(result.stderr, r"'sh\x00x': command not found")


def test_a_nul_byte_in_an_argument_cannot_be_executed(work_dir):
    result = run_main(work_dir, ["sh", "-c", "true\0false"])
    assert result.returncode == 126
    assert_one_line(result.stderr, "sh: cannot execute")
