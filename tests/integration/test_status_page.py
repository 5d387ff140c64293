"""The status page with the real daemon and a real browser (Debian's chromium, headless): real duplicity
backups to a file:// target, a drill, a failing task; the tasks and their states are on the rendered page,
its plots' points are the history's values, no secret is in it, it answers under a path prefix, /metrics
still works; and `status --html FILE` for set-ups without a daemon (a damaged history, an unwritable FILE).

Chromium is installed by scripts/test.sh: a missing one fails the test (a broken set-up), never skips it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from ..unit.views.test_status_page import Parsed
from .backups import PASSPHRASE, backup_env, places
from .conftest import require
from .http_recorder import free_port

pytestmark = pytest.mark.slow
CANARY = "canary-Status-Page-9d3f"
URL_CANARY = "canary-Url-Pw-51ae"
LATE_CANARY = "canary-Made-Secret-Later-c07e"  # printed by a run before it was a secret
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
# Where to keep the screenshot (the docs' picture is made so); the test's folder otherwise.
SCREENSHOT = os.environ.get("STATUS_PAGE_SCREENSHOT")


def chromium(tmp_path: Path, *args: str) -> str:
    browser = require("chromium")
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    result = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def records(state: Path, task: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((state / "runs" / task).glob("*.json"))]


def plot_points(parsed: Parsed, section: str) -> dict[str, list[dict[str, str]]]:
    """The points of each plot of a task's section, by the plot's title."""
    plots: dict[str, list[dict[str, str]]] = {}
    inside, current = False, None
    for tag, attrs in parsed.elements:
        if tag == "section":
            inside = attrs.get("data-task") == section
        elif inside and tag == "svg":
            current = attrs["data-plot"]
            plots[current] = []
        elif inside and tag == "g" and attrs.get("class", "").startswith("pt ") and current:
            plots[current].append(attrs)
    return plots


def same_time(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


@pytest.fixture
def backed_up(tmp_path, cli):
    """Two real backups of `home` to a file:// target, then a drill of it: recorded in the state folder."""
    where = places(tmp_path)
    (where.data / "a.txt").write_text("first\n")
    env = backup_env(where, CRONTAB="0 3 * * *")
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    (where.data / "b.bin").write_bytes(os.urandom(300_000))
    assert cli("exec", "home", env=env, timeout=300).returncode == 0
    drill = cli("verify", "home", env=env, timeout=300)
    assert drill.returncode == 0, drill.output
    return env


def test_the_daemon_serves_the_page_a_browser_renders(daemon, cli, backed_up, tmp_path, work_dir):
    state = work_dir.parent / "state"
    port = free_port()
    # recorded as printed (not secret then); the page masks it with today's secrets, as `status` does
    late = {"TASK_late_LOAD": 'echo "token $LATE"', "LATE": LATE_CANARY}
    assert cli("exec", "late", env=late).returncode == 0
    assert LATE_CANARY in json.dumps(records(state, "late"))
    env = {
        **backed_up,
        "CONF_METRICS_PORT": str(port),
        "SOME_PASSWORD": CANARY,
        "EXTRA_URL": f"sftp://backup:{URL_CANARY}@example.invalid/x",
        "TASK_broken_CRONTAB": "* * * * * *",
        "TASK_broken_LOAD": 'echo "<script>alert(1)</script> $SOME_PASSWORD $EXTRA_URL"; exit 3',
        "TASK_late_LOAD": 'echo "token $LATE"',
        "LATE_TOKEN": LATE_CANARY,
    }
    d = daemon(env)
    d.wait_for("[broken] run failed", count=2, timeout=60)
    url = f"http://127.0.0.1:{port}/"

    dom = chromium(tmp_path, "--dump-dom", url)
    parsed = Parsed(dom)
    rows = {row["data-task"]: row["data-state"] for row in parsed.tags("tr") if "data-task" in row}
    assert rows == {"broken": "failed", "home": "succeeded", "late": "succeeded"}
    assert not parsed.tags("script")  # the task's output is text on the page
    assert "<script>alert(1)</script> *** sftp://backup:***@example.invalid/x" in parsed.text
    assert "token ***" in parsed.text
    for secret in (CANARY, URL_CANARY, PASSPHRASE, LATE_CANARY):
        assert secret not in dom

    home = records(state, "home")
    backups = [r for r in home if r["trigger"] == "exec"]
    drills = [r for r in home if r["trigger"] == "verify"]
    assert len(backups) == 2 and len(drills) == 1
    plots = plot_points(parsed, "home")
    durations = plots["duration of the runs"]
    assert len(durations) == 2
    for point, record in zip(durations, backups, strict=True):
        assert same_time(point["data-started"], record["started"])
        assert float(point["data-value"]) == pytest.approx(record["duration"], abs=0.001)
    added = [int(p["data-value"]) for p in plots["bytes added to the target"]]
    assert added == [r["backup"]["destination_change_bytes"] for r in backups] and added[1] > 300_000
    sizes = [int(p["data-value"]) for p in plots["target size (its chains, after the run)"]]
    assert sizes == [r["target_bytes"] for r in backups] == [added[0], added[0] + added[1]]  # one chain
    [drill_point] = plots["restore time of the drills"]
    assert float(drill_point["data-value"]) == pytest.approx(drills[0]["recovery_seconds"], abs=0.001)
    broken = plot_points(parsed, "broken")["duration of the runs"]
    assert len(broken) >= 2 and {p["class"] for p in broken} == {"pt failed"}
    assert "1 chain(s), last full" in parsed.text  # what the target holds

    shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "status.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    status, headers, prefixed = fetch(url, **{"X-Forwarded-Prefix": "/backups"})
    assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
    hrefs = [a["href"] for a in Parsed(prefixed).tags("a")]
    assert hrefs[:2] == ["/backups/", "/backups/metrics"] and "/backups/#task-home" in hrefs
    status, _, metrics = fetch(f"{url}metrics")
    assert status == 200 and 'duplicity_cron_last_run_status{status="failed",task="broken"} 1.0' in metrics
    assert fetch(f"{url}nope")[0] == 404
    assert d.stop() == 0


def test_status_html_writes_the_page_and_tells_a_damaged_history(cli, work_dir, tmp_path):
    state = work_dir.parent / "state"
    env = {"TASK_t_LOAD": "true", "TASK_t_CRONTAB": "@daily"}
    assert cli("exec", "t", env=env).returncode == 0
    (state / "runs" / "t" / "20260101T000000.000000Z-1-1-succeeded.json").write_text("{not json")
    page = tmp_path / "www" / "index.html"
    page.parent.mkdir()
    old = os.umask(0o022)  # the command's, inherited: what a shell's usual umask gives
    try:
        result = cli("status", "--html", str(page), env=env)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.output
    assert "1 unreadable run record(s)" in result.stderr  # told on stderr, as `status` does
    parsed = Parsed(page.read_text())
    assert "1 unreadable run record(s)" in parsed.text  # and on the page
    assert [row["data-state"] for row in parsed.tags("tr") if "data-task" in row] == ["succeeded"]
    assert len(plot_points(parsed, "t")["duration of the runs"]) == 1
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    assert not [a for a in parsed.tags("a") if "metrics" in a["href"]]  # no daemon behind a file

    missing = tmp_path / "no-such-folder" / "index.html"
    result = cli("status", "--html", str(missing), env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().endswith(
        f"cannot write the status page to {missing}: No such file or directory; "
        "give --html a file in an existing, writable folder"
    )
