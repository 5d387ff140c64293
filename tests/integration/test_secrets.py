"""Secrets end to end: URL passwords in variables with innocent names are masked in every place a run's
output reaches; short secrets are warned about, not masked; unusable secret files stop the start-up."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import COMMAND, Completed, base_env
from .http_recorder import Recorder

# Every password holds "Canary"; no user, host or other text does.
URL_VARIABLES = {
    "BACKUP_TARGET": "sftp://backupuser:sftp-Canary-51f@backup.example/srv/backups",
    "BACKUP_TARGETS": "s3://AKIAUSERID:s3-Canary-9aa@bucket/db,webdav://dav:dav-Canary-0b1@dav.example/x",
    "DB_DSN": "postgresql://app:pg%40Canary-77e@db.example/app",  # decoded: pg@Canary-77e
    "DUMP_ARGS": "--dsn=postgresql://dumper:dump-Canary-3c0@db.example/app --jobs=2",
    "NOTE": "meet at 10:30@office",  # not a URL: nothing to mask
}
ECHO_URLS = (
    'echo "target $BACKUP_TARGET"; echo "targets $BACKUP_TARGETS" >&2; echo "dsn $DB_DSN"; '
    'printf "decoded %b\\n" "${DB_DSN//%/\\\\x}"; echo "dump $DUMP_ARGS"; echo "note $NOTE"; exit 3'
)
CANARY = "Canary"


@pytest.fixture
def endpoint() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.close()


def url_env(endpoint: Recorder, **extra: str) -> dict[str, str]:
    return {
        **URL_VARIABLES,
        "CONF_NOTIFY_URLS": f"json://127.0.0.1:{endpoint.port}/notify",
        "TASK_db_PING_URL": f"{endpoint.url}/ping/db",
        "TASK_db_LOAD": ECHO_URLS,
        **extra,
    }


def test_the_step_itself_shows_the_passwords(cli, endpoint):
    """The check below is meaningful: without masking, the step's output holds every password."""
    result = cli("bash", "-c", ECHO_URLS, env=url_env(endpoint))
    for password in (
        "sftp-Canary-51f",
        "s3-Canary-9aa",
        "pg%40Canary-77e",
        "pg@Canary-77e",
        "dump-Canary-3c0",
    ):
        assert password in result.output


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_url_passwords_are_masked_everywhere_the_output_goes(cli, endpoint, work_dir, log_format):
    env = url_env(endpoint, CONF_LOG_FORMAT=log_format)
    result = cli("exec", "db", env=env)
    assert result.returncode == 1, result.output
    assert CANARY not in result.output
    if log_format == "json":
        messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    else:
        messages = [re.split(r"\]!? ", line, maxsplit=1)[-1] for line in result.stdout.splitlines()]
    assert "target sftp://backupuser:***@backup.example/srv/backups" in messages  # the user stays
    assert "targets s3://AKIAUSERID:***@bucket/db,webdav://dav:***@dav.example/x" in messages
    assert "dsn postgresql://app:***@db.example/app" in messages
    assert "decoded postgresql://app:***@db.example/app" in messages
    assert "dump --dsn=postgresql://dumper:***@db.example/app --jobs=2" in messages
    assert "note meet at 10:30@office" in messages

    state_files = [path for path in (work_dir.parent / "state").rglob("*") if path.is_file()]
    assert any(path.parent.name == "db" for path in state_files)
    for path in state_files:
        assert CANARY not in path.read_text(), path

    status = cli("status", "db", "--json", env=env)
    assert status.returncode == 0, status.output
    assert CANARY not in status.output
    [entry] = json.loads(status.stdout)["tasks"]
    assert "dsn postgresql://app:***@db.example/app" in entry["last_run"]["output_tail"]

    endpoint.wait_for(3)  # ping start, notification, ping fail
    requests = {(request.method, request.path): request.body.decode() for request in endpoint.requests}
    assert set(requests) == {("GET", "/ping/db/start"), ("POST", "/notify"), ("POST", "/ping/db/fail")}
    for body in requests.values():
        assert CANARY not in body
    assert "target sftp://backupuser:***@backup.example" in json.loads(requests["POST", "/notify"])["message"]
    assert "dump --dsn=postgresql://dumper:***@db.example" in requests["POST", "/ping/db/fail"]


def test_short_secrets_are_warned_by_name_and_leave_the_output_readable(cli, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("Zq7\n")
    env = {
        "SOME_PASSWORD": "a",
        "TOKEN_FILE": str(token_file),
        "DB_DSN": "postgresql://app:x1@db/app",
        "TASK_t_LOAD": 'echo "a backup of 1 database as planned"; echo "$DB_DSN"',
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 0, result.output
    warnings = [line for line in result.stdout.splitlines() if "WARNING:" in line]
    assert len(warnings) == 3, result.stdout
    for variable in ("SOME_PASSWORD", "TOKEN_FILE", "DB_DSN"):
        assert any(f"WARNING: {variable}: " in line and "not masked" in line for line in warnings), variable
    assert not any("Zq7" in line or "x1" in line for line in warnings)
    assert result.stdout.count("***") == 0
    assert "[t/load] a backup of 1 database as planned" in result.stdout
    assert "[t/load] postgresql://app:x1@db/app" in result.stdout


# --- secret files -------------------------------------------------------------------------------

MEMORY_LIMIT = 1 << 30  # a regression reading /dev/zero whole must fail, not fill a shared machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check_bounded(work_dir: Path, env: dict[str, str]) -> Completed:
    """`duplicity-cron check` with bounded memory and time (a FIFO that blocks fails the test)."""
    proc = subprocess.run(
        [COMMAND, "check"],
        env=base_env(work_dir, env),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        preexec_fn=_limit_memory,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


def big_file(tmp_path: Path) -> str:
    path = tmp_path / "big"
    path.write_bytes(b"z" * (2 * 1024 * 1024))
    return str(path)


def fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


def empty_file(tmp_path: Path) -> str:
    path = tmp_path / "empty"
    path.write_text("\n")
    return str(path)


SECRET_FILES: dict[str, tuple[Callable[[Path], str], str]] = {
    "2 MiB": (big_file, "it is larger than 1 MiB, the limit for a secret file"),
    "/dev/zero": (lambda _: "/dev/zero", "it is not a regular file but a character device"),
    "FIFO": (fifo, "it is not a regular file but a FIFO"),
    "directory": (lambda tmp: str(tmp), "it is not a regular file but a directory"),
    "empty": (empty_file, "it is empty (or only white space); it must hold the secret"),
}


@pytest.mark.parametrize("kind", SECRET_FILES)
def test_an_unusable_secret_file_is_a_configuration_error(work_dir, tmp_path, kind):
    make, reason = SECRET_FILES[kind]
    path = make(tmp_path)
    result = check_bounded(work_dir, {"PASSPHRASE_FILE": path, "TASK_a_LOAD": "true"})
    assert result.returncode == 2, result.output
    assert "1 configuration error(s); nothing was run" in result.stderr
    assert f"  - PASSPHRASE_FILE: cannot use {path}: {reason}" in result.stderr.splitlines()
    assert "Traceback" not in result.output
