"""Container labels against a real engine (podman's Docker-compatible API socket, or docker's own):
the runner runs from this checkout on the host with DOCKER_HOST pointing at the socket, and acts on
containers made from the base image. A writer container appends `date +%s.%N` to a file on a host
folder every 50 ms: the timestamps pause while it is stopped, which shows when it was."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .util import REPO

BASE = "docker.io/library/debian:trixie-slim"
WRITER = 'trap "exit 0" TERM; while :; do date +%s.%N >> /data/ticks; sleep 0.05; done'
STOP_LABEL = "duplicity-cron.stop-during-backup"


@pytest.fixture(scope="session")
def runner_bin() -> Path:
    """`duplicity-cron` of this checkout (editable) with the `docker` extra, in its own venv."""
    venv = REPO / ".cache" / "labels-runner-venv"
    stamp = venv / ".pyproject-sha256"
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "pip"),
                "install",
                "-q",
                "--disable-pip-version-check",
                "-e",
                f"{REPO}[docker]",
            ],
            check=True,
            capture_output=True,
        )
        stamp.write_text(digest)
    return venv / "bin" / "duplicity-cron"


class Setup:
    """The runner's environment, a writer container and the markers of the backup step."""

    def __init__(self, engine, containers, api_socket: str, runner_bin: Path, tmp: Path) -> None:
        self.engine, self.containers, self.runner_bin, self.tmp = engine, containers, runner_bin, tmp
        self.data = tmp / "data"
        self.data.mkdir()
        self.data.chmod(0o777)
        self.env = {
            **engine.env,
            "DOCKER_HOST": f"unix://{api_socket}",
            "CONF_DOCKER_LABELS": "on",
            "CONF_WORK_DIR": str(tmp / "work"),
            "CONF_STATE_DIR": str(tmp / "state"),
            "TASK_app_CRONTAB": "0 3 * * *",
            "TASK_app_LOAD": self.load("true"),
        }

    def load(self, body: str) -> str:
        """A LOAD step that marks its start and end around `body`."""
        start, end = self.tmp / "load-start", self.tmp / "load-end"
        return f"date +%s.%N > {start}; ( {body} ); rc=$?; date +%s.%N > {end}; exit $rc"

    def writer(self, labels: dict[str, str], stopped: bool = False) -> str:
        name = self.containers("dct-app")
        options = [f"--label={key}={value}" for key, value in labels.items()]
        self.engine.cmd(
            "run", "-d", "--name", name, *options, "-v", f"{self.data}:/data", BASE, "sh", "-c", WRITER
        )
        self.wait_for_ticks()
        if stopped:
            self.engine.cmd("stop", name)
        return name

    def wait_for_ticks(self, after: float = 0.0) -> None:
        deadline = time.monotonic() + 30
        while not any(t > after for t in self.ticks()):
            assert time.monotonic() < deadline, "the writer container wrote nothing"
            time.sleep(0.1)

    def ticks(self) -> list[float]:
        path = self.data / "ticks"
        return [float(line) for line in path.read_text().split()] if path.exists() else []

    def mark(self, name: str) -> float:
        return float((self.tmp / name).read_text())

    def state(self, name: str) -> str:
        return self.engine.cmd("inspect", "--format", "{{.State.Status}}", name).stdout.strip()

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.runner_bin), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.runner_bin), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for(self, mark: str) -> None:
        deadline = time.monotonic() + 60
        while not (self.tmp / mark).exists():
            assert time.monotonic() < deadline, f"the step did not reach {mark}"
            time.sleep(0.05)

    def assert_paused_during_backup(self) -> None:
        """No timestamp between the backup step's start and end; some before, some after."""
        self.wait_for_ticks(after=self.mark("load-end"))
        start, end = self.mark("load-start"), self.mark("load-end")
        ticks = self.ticks()
        assert [t for t in ticks if start <= t <= end] == []
        assert any(t < start for t in ticks) and any(t > end for t in ticks)


@pytest.fixture
def setup(engine, containers, api_socket, runner_bin, tmp_path) -> Setup:
    return Setup(engine, containers, api_socket, runner_bin, tmp_path)


def output(proc) -> str:
    return proc.stdout + proc.stderr


def test_a_container_is_stopped_during_the_backup_and_running_after_it(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    setup.env["TASK_app_LOAD"] = setup.load("sleep 2")
    proc = setup.run("exec", "app")
    assert proc.returncode == 0, output(proc)
    assert setup.state(app) == "running"
    setup.assert_paused_during_backup()
    assert f"stopped container(s) {app} for the backup" in output(proc)
    assert f"started container(s) {app} again; they were stopped for " in output(proc)
    assert not (setup.tmp / "state" / "stopped-containers" / "app.json").exists()


def test_a_failed_backup_starts_the_container_again(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    setup.env["TASK_app_LOAD"] = setup.load("sleep 1; exit 3")
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert setup.state(app) == "running"
    setup.assert_paused_during_backup()


def test_sigterm_of_the_runner_mid_backup_starts_the_container_again(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    setup.env["TASK_app_LOAD"] = setup.load("sleep 60")
    runner = setup.start("exec", "app")
    setup.wait_for("load-start")
    assert setup.state(app) == "exited"  # stopped while the backup step runs
    runner.send_signal(signal.SIGTERM)
    out, _ = runner.communicate(timeout=60)
    assert runner.returncode == 1, out
    assert setup.state(app) == "running"
    assert "interrupted" in out
    assert f"started container(s) {app} again" in out


def test_after_kill_9_of_the_runner_the_next_start_starts_the_container_again(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    setup.env["TASK_app_LOAD"] = setup.load("sleep 60")
    runner = setup.start("exec", "app")
    setup.wait_for("load-start")
    step_pids = [
        int(pid) for pid in Path(f"/proc/{runner.pid}/task/{runner.pid}/children").read_text().split()
    ]
    runner.kill()  # kill -9: as when the runner's container is killed, its step goes too
    runner.communicate(timeout=30)
    for pid in step_pids:
        os.killpg(pid, signal.SIGKILL)
    assert setup.state(app) == "exited"
    assert (setup.tmp / "state" / "stopped-containers" / "app.json").exists()

    setup.env["TASK_app_LOAD"] = "true"
    proc = setup.run("exec", "app")
    assert proc.returncode == 0, output(proc)
    text = output(proc)
    again = text.index(f"started container(s) {app} again: the runner (pid {runner.pid})")
    assert again < text.index("run started")  # first, before the run
    assert setup.state(app) == "running"
    assert not (setup.tmp / "state" / "stopped-containers" / "app.json").exists()


def test_a_container_stopped_before_the_run_stays_stopped(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"}, stopped=True)
    proc = setup.run("exec", "app")
    assert proc.returncode == 0, output(proc)
    assert setup.state(app) == "exited"
    assert "stopped container(s)" not in output(proc)


def test_exec_before_failing_fails_the_run_naming_the_container(setup) -> None:
    app = setup.writer({"duplicity-cron.app.exec-before": "echo dumping now; exit 4"})
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert f"exec-before in container {app} exited with code 4" in output(proc)
    assert "dumping now" in output(proc)
    assert not (setup.tmp / "load-start").exists()  # the backup did not run
    assert setup.state(app) == "running"


def test_exec_after_runs_after_a_failed_backup(setup) -> None:
    app = setup.writer({
        "duplicity-cron.app.exec-before": "echo before > /data/before",
        "duplicity-cron.app.exec-after": "echo after > /data/after",
        STOP_LABEL: "app",
    })  # fmt: skip
    setup.env["TASK_app_LOAD"] = setup.load("exit 3")
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert (setup.data / "before").read_text() == "before\n"
    assert (setup.data / "after").read_text() == "after\n"
    assert setup.state(app) == "running"


def test_a_failing_exec_after_fails_a_successful_run(setup) -> None:
    app = setup.writer({"duplicity-cron.app.exec-after": "exit 5"})
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert f"exec-after in container {app} exited with code 5" in output(proc)


def test_a_malformed_label_fails_the_run_and_stops_nothing(setup) -> None:
    app = setup.writer({STOP_LABEL: "app,,db"})
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert f"container {app}: label {STOP_LABEL}='app,,db' is not a comma-separated list" in output(proc)
    assert not (setup.tmp / "load-start").exists()
    assert setup.state(app) == "running"
    assert "succeeded" not in output(proc)


def test_a_paused_container_fails_the_run_and_stops_nothing(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    other = setup.writer({STOP_LABEL: "app"})
    setup.engine.cmd("pause", app)
    try:
        proc = setup.run("exec", "app")
        assert proc.returncode == 1, output(proc)
        assert f"container {app} is paused" in output(proc)
        assert setup.state(app) == "paused"
        assert setup.state(other) == "running"
        assert not (setup.tmp / "load-start").exists()
    finally:
        setup.engine.cmd("unpause", app, check=False)


def test_a_container_removed_during_the_backup_is_one_line_and_fails_the_run(setup) -> None:
    app = setup.writer({STOP_LABEL: "app"})
    quick = ["-t", "0"] if setup.engine.name == "podman" else []
    setup.env["TASK_app_LOAD"] = f"{setup.engine.name} rm -f {' '.join(quick)} {app}"
    proc = setup.run("exec", "app")
    assert proc.returncode == 1, output(proc)
    assert f"container {app} is gone (removed during the run?)" in output(proc)
    assert "Traceback" not in output(proc)


def test_no_engine_when_labels_are_on_is_one_line(setup, tmp_path) -> None:
    proc = setup.run("exec", "app", DOCKER_HOST=f"unix://{tmp_path}/none.sock")
    assert proc.returncode == 1, output(proc)
    assert f"the container engine unix://{tmp_path}/none.sock: no socket there" in output(proc)
    assert "Traceback" not in output(proc)


def test_an_unreadable_socket_is_one_line(setup, api_socket) -> None:
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(setup.runner_bin), "exec", "app"],
        env={
            **setup.env,
            "CONF_WORK_DIR": "/tmp/dct-labels-nobody/work",
            "CONF_STATE_DIR": "/tmp/dct-labels-nobody/state",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, output(proc)
    assert "permission denied on the socket" in output(proc)


def test_no_engine_and_labels_auto_is_silent(setup) -> None:
    env = {key: value for key, value in setup.env.items() if key not in ("DOCKER_HOST", "CONF_DOCKER_LABELS")}
    setup.env = env
    proc = setup.run("exec", "app")
    assert proc.returncode == 0, output(proc)
    assert "engine" not in output(proc)


def test_list_and_status_show_which_containers_each_task_touches(setup) -> None:
    app = setup.writer({STOP_LABEL: "app,db", "duplicity-cron.db.exec-before": "true"})
    setup.env["TASK_db_CRONTAB"] = "0 4 * * *"
    setup.env["TASK_db_LOAD"] = "true"
    listed = setup.run("list")
    assert listed.returncode == 0, output(listed)
    assert f"  app: stops {app}\n" in listed.stdout
    assert f"  db: stops {app}; exec-before in {app}" in listed.stdout
    status = setup.run("status", "--json")
    assert status.returncode == 0, output(status)
    entries = {entry["task"]: entry for entry in json.loads(status.stdout)["tasks"]}
    assert entries["app"]["containers"] == [f"stops {app}"]
    off = setup.run("list", CONF_DOCKER_LABELS="off")
    assert "Containers" not in off.stdout


def test_the_docker_image_reads_the_labels_through_the_mounted_socket(engine, setup, api_socket) -> None:
    """CONF_DOCKER_LABELS left at auto: the docker image has the library and the socket is there."""
    app = setup.writer({STOP_LABEL: "app"})
    env = {"TASK_app_CRONTAB": "0 3 * * *", "TASK_app_LOAD": "true"}
    proc = engine.run(
        engine.image("docker"), "exec", "app", env=env, volumes=[f"{api_socket}:/var/run/docker.sock"]
    )
    assert proc.returncode == 0, output(proc)
    assert f"stopped container(s) {app} for the backup" in output(proc)
    assert setup.state(app) == "running"


def test_only_the_docker_image_has_the_library(engine) -> None:
    code = "import duplicity_cron.containers.engine as e; print(e.library_installed())"
    for target, expected in (("cron", "False"), ("docker", "True")):
        proc = engine.run(engine.image(target), "-c", code, entrypoint="python3", check=True)
        assert proc.stdout.strip() == expected, target
