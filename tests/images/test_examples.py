"""examples/compose-*: every compose file is valid and safe (no default passphrase, the cache and the
state on volumes), and the folder example, started as a user starts it (podman-compose here, docker
compose where a Docker engine answers), makes a backup that restores."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .util import PASSPHRASE, REPO, TARGETS, make_tree, open_dir, tree_digest

EXAMPLES = sorted((REPO / "examples").glob("compose-*/compose.yaml"))
Completed = subprocess.CompletedProcess[str]
SECRET_LOOKING = re.compile(r"PASSPHRASE|PASSWORD|SECRET|TOKEN|_KEY$")


def test_there_is_an_example_for_each_use():
    assert {p.parent.name for p in EXAMPLES} >= {
        "compose-folder",
        "compose-mariadb",
        "compose-postgres",
        "compose-docker",
        "compose-docker-exec",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_compose_file_is_safe(path):
    compose = yaml.safe_load(path.read_text())
    backup = compose["services"]["backup"]
    assert backup["build"]["target"] in TARGETS
    assert backup["build"]["context"] == "../.."
    env = backup["environment"]
    # the passphrase is a file the user makes (a compose secret), never defaulted, never in the
    # environment (where `inspect` and podman-compose's exec command lines would show it)
    assert env["PASSPHRASE_FILE"] == "/run/secrets/passphrase"
    assert "passphrase" in backup["secrets"]
    assert compose["secrets"]["passphrase"] == {"file": "${PASSPHRASE_FILE:-./passphrase}"}
    assert not (path.parent / "passphrase").exists()
    for service in compose["services"].values():
        values = service.get("environment") or {}
        assert not [k for k in values if SECRET_LOOKING.search(k) and not k.endswith("_FILE")]
    mounts = {volume.split(":")[1] for volume in backup["volumes"]}
    assert {"/cache", "/var/lib/duplicity-cron"} <= mounts
    # each example shows how to restore: a restore task, or `restore TASK` of a task with TARGET
    targets = {key[len("TASK_") : -len("_TARGET")] for key in env if key.endswith("_TARGET")}
    shown = set(re.findall(r"^#.* duplicity-cron restore ([\w.-]+)", path.read_text(), re.MULTILINE))
    assert any(key.endswith("_RESTORE") for key in env) or shown & targets, "no restore shown"


def _compose_cmd(engine) -> list[str]:
    if engine.name == "docker":
        return ["docker", "compose"]
    exe = shutil.which("podman-compose") or str(Path(sys.executable).parent / "podman-compose")
    if not Path(exe).exists():
        pytest.fail("podman-compose missing: install requirements/images-test.txt", pytrace=False)
    return [exe]


def passphrase_file(tmp_path: Path) -> Path:
    """The passphrase file as the examples' comments make it: `(umask 077; ... > passphrase)`."""
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    passphrase.chmod(0o600)
    return passphrase


def compose_runner(compose: list[str], env: dict[str, str], timeout: float) -> Callable[..., Completed]:
    """`compose ARGS` to completion with `env`, output captured, never raising on an exit code."""

    def run(*args: str, timeout: float = timeout) -> Completed:
        return subprocess.run(
            [*compose, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )

    return run


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_compose_config_resolves_with_no_variable_set(engine, path):
    """Every command of an example works in a plain shell: nothing is required from the environment
    (a `${PASSPHRASE:?}` made every later `docker compose exec` fail in a new shell)."""
    proc = subprocess.run(
        [*_compose_cmd(engine), "-f", str(path), "config"],
        capture_output=True,
        text=True,
        env=engine.env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _last_success(run) -> str | None:
    """The task `backup`'s last success as `status --json` tells it (None before the first)."""
    proc = run("exec", "-T", "backup", "duplicity-cron", "status", "--json", "backup", timeout=60)
    if proc.returncode != 0:
        return None
    entries = json.loads(proc.stdout)["tasks"]
    return entries[0]["last_success"] if entries else None


def test_folder_quick_start_backs_up_restores_and_verifies(engine, tmp_path):
    """The quick start as its comments say: up, a scheduled backup within its first minute, then
    `restore backup --to` (byte for byte) and `verify backup`, in the running container; twice, so
    a second restore and drill work too."""
    compose_file = REPO / "examples" / "compose-folder" / "compose.yaml"
    # the example names its image duplicity-cron:local and builds it when missing: give it the
    # image this session built from the same Dockerfile target
    engine.cmd("tag", engine.image("cron"), "localhost/duplicity-cron:local")
    src = make_tree(tmp_path / "data", big=200_000)
    backups = open_dir(tmp_path / "backups")
    restore = open_dir(tmp_path / "restore")
    project = f"dctexample{os.getpid()}"
    passphrase = passphrase_file(tmp_path)
    env = {
        **engine.env,
        "PASSPHRASE_FILE": str(passphrase),
        "BACKUP_SOURCE": str(src),
        "BACKUP_TARGET": str(backups),
        "RESTORE_TARGET": str(restore),
    }
    compose = [*_compose_cmd(engine), "-p", project, "-f", str(compose_file)]

    run = compose_runner(compose, env, timeout=180)

    try:
        up = run("up", "-d")
        assert up.returncode == 0, up.stdout + up.stderr
        # the default schedule is every minute: the first backup starts within 60 s of `up`
        deadline = time.monotonic() + 150
        while _last_success(run) is None:
            if time.monotonic() > deadline:
                logs = run("logs")
                tail = logs.stdout[-4000:] + logs.stderr
                raise AssertionError(f"no successful backup in 150 s; logs:\n{tail}")
            time.sleep(2)
        assert any(p.name.endswith(".difftar.gpg") for p in backups.iterdir())
        for attempt in ("first", "second"):
            restored = _retry_busy(run, "restore", "backup", "--to", f"/restore/{attempt}")
            assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-3000:]
            assert tree_digest(restore / attempt) == tree_digest(src)
            verified = _retry_busy(run, "verify", "backup")
            assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
        # the drill is recorded: status shows it
        status = run("exec", "-T", "backup", "duplicity-cron", "status", "--json", "backup", timeout=60)
        assert json.loads(status.stdout)["tasks"][0]["last_verified"], status.stdout
    finally:
        run("down", "-v", timeout=180)


def _retry_busy(run, *command: str) -> subprocess.CompletedProcess[str]:
    """`docker compose exec backup duplicity-cron COMMAND`, once more after the minute's backup when
    the task was running (the answer a user gets then: run it again)."""
    for _ in range(3):
        proc = run("exec", "-T", "backup", "duplicity-cron", *command, timeout=300)
        said = proc.stdout + proc.stderr
        if proc.returncode == 0 or not ("is going on" in said or "already running" in said):
            return proc
        time.sleep(10)
    return proc


def test_docker_example_backs_up_and_restores_another_containers_data(engine, api_socket, tmp_path):
    """examples/compose-docker-exec as its comments say: up (the engine's API socket mounted), `exec app`
    backs up what the app container holds, and the restore task puts it back into the app."""
    compose_file = REPO / "examples" / "compose-docker-exec" / "compose.yaml"
    engine.cmd("tag", engine.image("docker"), "localhost/duplicity-docker:local")
    passphrase = passphrase_file(tmp_path)
    app = f"dct-example-app-{os.getpid()}"
    env = {
        **engine.env,
        "PASSPHRASE_FILE": str(passphrase),
        "BACKUP_TARGET": str(open_dir(tmp_path / "backups")),
        "DOCKER_SOCKET": api_socket,
        "APP_CONTAINER": app,
    }
    compose = [*_compose_cmd(engine), "-p", f"dctdocker{os.getpid()}", "-f", str(compose_file)]

    run = compose_runner(compose, env, timeout=300)

    def app_state() -> str:
        proc = engine.cmd("exec", app, "cat", "/srv/app/state.txt", check=False)
        return proc.stdout if proc.returncode == 0 else ""

    try:
        up = run("up", "-d")
        assert up.returncode == 0, up.stdout + up.stderr
        deadline = time.monotonic() + 60
        while not app_state():
            assert time.monotonic() < deadline, run("logs").stdout[-3000:]
            time.sleep(0.5)
        before = app_state()
        backed_up = run("exec", "-T", "backup", "duplicity-cron", "exec", "app")
        assert backed_up.returncode == 0, backed_up.stdout[-3000:] + backed_up.stderr[-3000:]
        engine.cmd("exec", app, "sh", "-c", "echo lost > /srv/app/state.txt")
        assert app_state() == "lost\n"
        restored = run("run", "--rm", "backup", "restore")
        assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-3000:]
        assert app_state() == before
    finally:
        run("down", "-v", timeout=180)


SQLITE_BACKUPS = 20  # each drilled: 20 of 20 restores of copies made under 100 writes a second
ROWS = """
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(json.dumps(db.execute("SELECT id, at FROM events ORDER BY id").fetchall()))
"""


def test_sqlite_example_backs_up_under_writes_and_restores_in_place_with_the_app_stopped(
    engine, api_socket, tmp_path
):
    """examples/compose-docker as its comments say, its application writing 100 rows a second: 20
    backups under the writes, each drilled (restored, integrity_check, the manifest's row counts,
    VERIFY_SQL; the app never stopped for them), `restore app --to` gives the
    latest backup's rows, and `restore app --drop` puts exactly those back in place with the app
    stopped meanwhile (no row written between the backup and the restore survives) and running after.
    No registry here: the app's python image is replaced by the cron image (it has python3)."""
    compose_file = REPO / "examples" / "compose-docker" / "compose.yaml"
    engine.cmd("tag", engine.image("docker"), "localhost/duplicity-docker:local")
    override = tmp_path / "override.yaml"
    app_service = {"image": engine.image("cron"), "entrypoint": ["/usr/bin/env"]}
    override.write_text(yaml.safe_dump({"services": {"app": app_service}}))
    passphrase = passphrase_file(tmp_path)
    restore = open_dir(tmp_path / "restore")
    env = {
        **engine.env,
        "PASSPHRASE_FILE": str(passphrase),
        "BACKUP_TARGET": str(open_dir(tmp_path / "backups")),
        "RESTORE_TARGET": str(restore),
        "DOCKER_SOCKET": api_socket,
        "WRITES_PER_SECOND": "100",
    }
    project = f"dctsqlite{os.getpid()}"
    compose = [*_compose_cmd(engine), "-p", project, "-f", str(compose_file), "-f", str(override)]

    run = compose_runner(compose, env, timeout=300)

    def in_backup(*command: str) -> str:
        proc = run("exec", "-T", "backup", "duplicity-cron", *command)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout + proc.stderr

    def app_rows() -> list[list[float]]:
        proc = run("exec", "-T", "app", "python3", "-c", ROWS, "/data/app.db", timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    try:
        up = run("up", "-d")
        assert up.returncode == 0, up.stdout + up.stderr
        deadline = time.monotonic() + 60
        while run("exec", "-T", "app", "test", "-s", "/data/app.db", timeout=60).returncode != 0:
            assert time.monotonic() < deadline, run("logs").stdout[-3000:]
            time.sleep(0.5)
        time.sleep(1)
        listed = in_backup("list")
        assert "stops" in listed and "during a restore" in listed, listed
        for _ in range(SQLITE_BACKUPS):
            said = in_backup("exec", "app")
            assert "stopped container" not in said, said  # the copy is online: the app keeps writing
            said = in_backup("verify", "app")
            assert "VERIFY_SQL line 1" in said and "true on the restored copy" in said, said
        in_backup("restore", "app", "--to", "/restore/first")
        backed_up = json.loads(
            subprocess.run(
                [sys.executable, "-c", ROWS, str(restore / "first" / "app.db")],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        assert len(backed_up) > 100
        time.sleep(1)  # rows the restore must drop
        assert len(app_rows()) > len(backed_up)
        restore_began = time.time()
        said = in_backup("restore", "app", "--drop")
        assert "stopped container(s)" in said and "for the restore" in said, said
        assert "started container(s)" in said, said
        after = app_rows()
        last = backed_up[-1][0]
        assert [row for row in after if row[0] <= last] == backed_up
        assert all(at >= restore_began for _, at in (row for row in after if row[0] > last))
        time.sleep(1)
        assert len(app_rows()) > len(after), "the app writes again"
    finally:
        run("down", "-v", timeout=180)
