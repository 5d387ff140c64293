"""The docker image: with a Docker-compatible API socket mounted (podman's `system service`, or the
engine's own socket under docker), a task runs `docker exec` in another container to produce data
and backs it up; the restore gives back the same bytes."""

from __future__ import annotations

import hashlib
import time

from .util import DUP_OPTS, PASSPHRASE, open_dir

DUP = " ".join(DUP_OPTS)


def test_docker_image_backs_up_data_produced_by_docker_exec(engine, containers, api_socket, tmp_path):
    image = engine.image("docker")
    app = containers("app")
    # "another container": an application whose data only it can produce (here: a generated file)
    engine.cmd(
        "run",
        "-d",
        "--name",
        app,
        "--entrypoint",
        "sh",
        image,
        "-c",
        "head -c 300000 /dev/urandom > /tmp/app-data.bin && sleep 600",
    )
    deadline = time.monotonic() + 20
    while engine.cmd("exec", app, "test", "-f", "/tmp/app-data.bin", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the app container did not produce its data"
        time.sleep(0.2)
    expected = engine.cmd("exec", app, "sha256sum", "/tmp/app-data.bin").stdout.split()[0]

    backups = open_dir(tmp_path / "backups")
    out = open_dir(tmp_path / "out")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_app_CRONTAB": "0 3 * * *",
        "TASK_app_EXTRACT": f'docker exec {app} cat /tmp/app-data.bin > "$SRC/app-data.bin"',
        "TASK_app_LOAD": f'duplicity full {DUP} "$SRC" file:///backups/app',
    }
    proc = engine.run(
        image, "exec", "app", env=env, volumes=[f"{api_socket}:/var/run/docker.sock", f"{backups}:/backups"]
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

    restore = engine.run(
        image,
        "restore",
        *DUP_OPTS,
        "file:///backups/app",
        "/out/restored",
        entrypoint="duplicity",
        env={"PASSPHRASE": PASSPHRASE},
        volumes=[f"{backups}:/backups", f"{out}:/out"],
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr
    got = hashlib.sha256((out / "restored" / "app-data.bin").read_bytes()).hexdigest()
    assert got == expected


def test_docker_image_has_the_cli_but_no_daemon(engine):
    proc = engine.run(
        engine.image("docker"),
        "-c",
        "docker --version && ! command -v dockerd && ! command -v containerd",
        entrypoint="bash",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
