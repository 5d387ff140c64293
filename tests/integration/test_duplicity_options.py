"""The table of duplicity 0.8 options against the real duplicity 3.2.1 (each one refused with exit
23, or run with a warning), and `check` printing what it finds: errors for OPTIONS, start-up warnings
for steps' duplicity command lines and FTP_PASSWORD."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from duplicity_cron.config.duplicity_options import OLD_OPTIONS, OldOption, describe

from .conftest import base_env_path, require

pytestmark = pytest.mark.slow
# 0.8's options with a value as 0.8 users wrote them; the rest take none.
VALUES = {
    "--file-to-restore": ["etc/hosts"],
    "--fail-on-volume": ["1"],
    "--s3-multipart-max-timeout": ["30"],
    "--exclude-globbing-filelist": ["list"],
    "--include-globbing-filelist": ["list"],
    "--gpg-options": ["--compress-algo=none"],
    "--ssh-options": ["-oPort=22"],
    "--rsync-options": ["-v"],
    "--par2-options": ["-q"],
}


def run_duplicity(option: OldOption, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / str(OLD_OPTIONS.index(option))  # short: gpg-agent's socket paths live under it
    (folder / "data").mkdir(parents=True)
    (folder / "gnupg").mkdir(mode=0o700)
    (folder / "list").write_text("")
    env = {"PATH": base_env_path(), "PASSPHRASE": "a long secret", "GNUPGHOME": str(folder / "gnupg"),
           "HOME": str(folder), "XDG_CACHE_HOME": str(folder / "cache")}  # fmt: skip
    command = ["duplicity", "backup", "-v", "warning", "--no-print-statistics", option.name]
    command += [*VALUES.get(option.name, []), str(folder / "data"), f"file://{folder / 'target'}"]
    try:
        return subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(folder / "gnupg"), "--kill", "gpg-agent"], check=False)


def test_duplicity_refuses_each_fatal_option_and_warns_for_the_others(tmp_path):
    require("duplicity")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(
            zip(OLD_OPTIONS, pool.map(lambda o: run_duplicity(o, tmp_path), OLD_OPTIONS), strict=True)
        )
    for option, result in results.items():
        if option.fatal:
            assert result.returncode == 23, (option.name, result.stdout + result.stderr)
        else:
            assert result.returncode == 0, (option.name, result.stdout + result.stderr)
            assert "replaced with `--concurrency`" in result.stdout + result.stderr


def test_check_reports_old_options_in_options_as_errors(cli):
    options = "--s3-use-new-style --gpg-options --compress-algo=none --file-to-restore=x"
    env = {"PASSPHRASE": "a long secret", "TASK_a_TARGET": "file:///tmp/x", "TASK_a_OPTIONS": options}
    result = cli("check", env=env)
    assert result.returncode == 2
    by_name = {option.name: option for option in OLD_OPTIONS}
    for name in ("--s3-use-new-style", "--gpg-options", "--file-to-restore"):
        assert f"  - TASK_a_OPTIONS: {describe(by_name[name])}\n" in result.stderr


def test_check_and_exec_print_old_options_of_steps_and_ftp_password_as_warnings(cli):
    env = {
        "FTP_PASSWORD": "an ftp password",
        "TASK_b_LOAD": "echo 'duplicity --gio'; true duplicity --gio; : duplicity --short-filenames",
        "TASK_c_LOAD": "exit 0; duplicity full --short-filenames --ssh-options=-oX /a file:///b",
    }
    result = cli("check", env=env)
    assert result.returncode == 0, result.output
    by_name = {option.name: option for option in OLD_OPTIONS}
    assert result.stderr.splitlines() == [
        "duplicity-cron: warning: FTP_PASSWORD: duplicity 3.x reads BACKEND_PASSWORD (it still takes "
        "FTP_PASSWORD, with a warning, until 4.0); rename it",
        f"duplicity-cron: warning: TASK_c_LOAD: {describe(by_name['--short-filenames'])}",
    ]
    run = cli("exec", "c", env=env)
    assert run.returncode == 0, run.output
    assert f"WARNING: TASK_c_LOAD: {describe(by_name['--short-filenames'])}" in run.output
