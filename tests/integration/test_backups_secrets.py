"""Secrets of the built-in backup: a canary passphrase and a canary password in TARGET appear in no log
line, no history record and no process's command line (/proc/*/cmdline, what `ps` shows) taken while
duplicity runs; the URL's password still reaches duplicity, through BACKEND_PASSWORD."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .backups import PASSPHRASE, backup_env, places
from .test_duplicity_roundtrip import make_tree

pytestmark = pytest.mark.slow
URL_PASSWORD = "canary-Url-pa55word-5b7e"


def command_lines() -> list[str]:
    """The command line of every process, as `ps` shows it."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return lines


def everything_recorded(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


class StalledDav:
    """A WebDAV server that holds duplicity's first request until released, then fails every one
    (500); it records each request's Authorization header."""

    def __init__(self) -> None:
        self.authorizations: list[str] = []
        self.connected = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                server.authorizations.append(self.headers.get("Authorization", ""))
                server.connected.set()
                server.release.wait(120)
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_OPTIONS = do_PROPFIND = do_GET = do_PUT = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def dav():
    server = StalledDav()
    yield server
    server.close()


def test_a_url_password_reaches_duplicity_but_no_command_line_log_or_record(daemon, dav, work_dir, tmp_path):
    where = places(tmp_path)
    env = backup_env(where, OPTIONS="--num-retries 1")
    env["TASK_home_TARGET"] = f"webdav://backup:{URL_PASSWORD}@127.0.0.1:{dav.port}/dav/home"
    env["CONF_LOG_FORMAT"] = "json"
    run = daemon(env, ("exec", "home"))
    assert dav.connected.wait(120), run.output  # duplicity is running, stalled on its first request
    listing = command_lines()
    dav.release.set()
    assert run.proc.wait(120) == 1

    # This run's duplicity, by its server's port: other test runs on the machine have their own.
    duplicity = [line for line in listing if "duplicity backup" in line and f":{dav.port}/" in line]
    assert len(duplicity) == 1, listing
    assert f"webdav://backup@127.0.0.1:{dav.port}/dav/home" in duplicity[0]
    assert not [line for line in listing if URL_PASSWORD in line or PASSPHRASE in line]
    expected = "Basic " + base64.b64encode(f"backup:{URL_PASSWORD}".encode()).decode()
    assert dav.authorizations and set(dav.authorizations) == {expected}

    assert '"failed_step": "load"' in run.output
    [record] = [
        json.loads(path.read_text()) for path in (work_dir.parent / "state" / "runs" / "home").glob("*.json")
    ]
    assert record["failed_step"] == "load" and record["output_tail"]
    recorded = everything_recorded(work_dir.parent / "state")
    for secret in (URL_PASSWORD, PASSPHRASE):
        assert secret not in run.output
        assert secret.encode() not in recorded


def test_the_passphrase_is_in_no_command_line_log_or_record_of_a_real_backup(daemon, work_dir, tmp_path):
    """Command lines sampled until the run ends: duplicity's and gpg's while they run."""
    where = places(tmp_path)
    make_tree(where.data)
    env = backup_env(where, PREPARE='echo "a step that prints $PASSPHRASE"')
    run = daemon(env, ("exec", "home"))
    seen: set[str] = set()
    while run.proc.poll() is None:
        seen.update(line for line in command_lines() if "duplicity" in line or "gpg" in line)
    assert run.proc.returncode == 0, run.output

    assert any("duplicity backup" in line and where.url in line for line in seen), seen
    assert not [line for line in seen if PASSPHRASE in line]
    assert "a step that prints ***" in run.output
    assert PASSPHRASE not in run.output
    assert PASSPHRASE.encode() not in everything_recorded(work_dir.parent / "state")


def test_no_canary_in_status_metrics_or_notifications_after_backups_a_drill_and_a_failure(
    cli, daemon, work_dir, tmp_path
):
    """A real backup and drill (canary passphrase) and a run that fails against a TARGET with a canary
    password: `status --json`, `status`, each notification and a /metrics scrape hold neither canary,
    while they do hold what those runs recorded (so the check looks at real content)."""
    from .http_recorder import Recorder, free_port

    where = places(tmp_path)
    make_tree(where.data)
    endpoint = Recorder()
    try:
        env = backup_env(where) | {
            "CONF_NOTIFY_URLS": f"json://127.0.0.1:{endpoint.port}/notify",
            "CONF_NOTIFY_ON": "always",
            "TASK_home_CRONTAB": "0 3 * * *",
            "TASK_dav_CRONTAB": "0 3 * * *",
            "TASK_dav_TARGET": f"webdav://backup:{URL_PASSWORD}@127.0.0.1:{free_port()}/dav/home",
            "TASK_dav_SOURCE": str(where.data),
            "TASK_dav_OPTIONS": "--num-retries 1",
        }
        assert cli("exec", "home", env=env, timeout=180).returncode == 0
        assert cli("verify", "home", env=env, timeout=180).returncode == 0
        failed = cli("exec", "dav", env=env, timeout=180)
        assert failed.returncode == 1, failed.output

        status_json = cli("status", "--json", env=env).stdout
        status_text = cli("status", env=env).stdout
        tasks = {entry["task"]: entry for entry in json.loads(status_json)["tasks"]}
        assert tasks["home"]["last_verify"]["status"] == "succeeded"
        assert tasks["home"]["target"]["chains"] and tasks["dav"]["last_run"]["status"] == "failed"
        sent = [request.body.decode() for request in endpoint.requests if request.path == "/notify"]
        assert len(sent) == 3, sent  # the backup, the drill, the failure

        port = free_port()
        scheduler = daemon({**env, "CONF_METRICS_PORT": str(port)})
        scheduler.wait_for("scheduler ready")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert scheduler.stop() == 0
    finally:
        endpoint.close()
    assert 'duplicity_cron_backup_source_files{task="home"}' in metrics
    assert 'duplicity_cron_last_verify_timestamp_seconds{task="home"}' in metrics
    for where_seen, text in {
        "status --json": status_json,
        "status": status_text,
        "notifications": "\n".join(sent),
        "/metrics": metrics,
        "the failed run's output": failed.output,
    }.items():
        for secret in (URL_PASSWORD, PASSPHRASE):
            assert secret not in text, f"{secret} in {where_seen}"
