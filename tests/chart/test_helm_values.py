"""`helm-values`: the values it prints render into manifests that run the same steps as the env file,
and no secret of the env file appears in its output or in any manifest."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import kubernetes_validate

from duplicity_cron import __version__
from duplicity_cron.config.task_keys import TASK_KEYS
from duplicity_cron.views.helm_values import camel_key

from .conftest import COMMAND, documents, of_kind, pod_specs, render_text

CANARIES = {
    "PGPASSWORD": "pg-canary-password",
    "TASK_pg_TARGET": "sftp://backup:sftp-canary-pw@backups.example.com//srv/pg",
    "TASK_pg_PING_URL": "https://hc-ping.com/ping-canary-uuid",
    "DB_DSN": "postgresql://app:dsn-canary-pw@db/app",
}
PASSPHRASE = "passphrase-canary-value"


def env_file(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    lines = [
        f"PASSPHRASE_FILE={passphrase}",
        "PGHOST=db",
        "TZ=Europe/Paris",
        "TASK_pg_CRONTAB=40 1 * * *",
        "TASK_pg_TIMEOUT=2h",
        """TASK_pg_EXTRACT='pg_dump -Fc -d app -f "$SRC/app.dump"'""",
        "TASK_pg_KEEP_FULL=3",
        "TASK_files_PERIODICITY=weekly",
        "TASK_files_TZ=America/New_York",
        f"TASK_files_SOURCE={tmp_path / 'data'}",
        "TASK_files_TARGET=file:///backups/files",
        "TASK_pgrestore_RESTORE=10",
        """TASK_pgrestore_EXTRACT='duplicity restore -v warning file:///backups/pg "$DST/restored"'""",
        "TASK_pgrestore_LOAD='pg_restore -d app \"$DST/restored/app.dump\"'",
        *(f"{name}={value}" for name, value in CANARIES.items()),
    ]
    path = tmp_path / "backup.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def duplicity_cron(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "CONF_STATE_DIR": str(tmp_path / "state"), "CONF_WORK_DIR": str(tmp_path / "work")}  # fmt: skip
    return subprocess.run([COMMAND, *args], env={**base, **env}, capture_output=True, text=True, timeout=60)


def listing(completed: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert completed.returncode == 0, completed.stderr
    tasks = json.loads(completed.stdout)["tasks"]
    for task in tasks:
        task.pop("next_runs")  # the same schedule and zone give the same times; the clock moves on
    return tasks


def test_the_rendered_pods_run_the_same_steps_and_hold_no_secret(tmp_path):
    source = env_file(tmp_path)
    printed = duplicity_cron(
        "--env-file", str(source), "helm-values", "--secret", "pg-backup", env={}, tmp_path=tmp_path
    )
    assert printed.returncode == 0, printed.stderr
    values = tmp_path / "values.yaml"
    values.write_text(printed.stdout)
    (hint,) = [line for line in printed.stdout.splitlines() if "kubectl create secret" in line]
    assert hint.startswith("#   kubectl create secret generic pg-backup --from-file=")
    assert f"--from-file=PASSPHRASE={tmp_path / 'passphrase'}" in hint.split()  # the env file's own file
    assert "--from-file=PGPASSWORD=<a file holding PGPASSWORD>" in hint
    manifests = render_text([values])
    for secret in (PASSPHRASE, "pg-canary-password", "sftp-canary-pw", "ping-canary-uuid", "dsn-canary-pw"):
        assert secret not in printed.stdout + printed.stderr
        assert secret not in manifests
    docs = documents(manifests)

    # The Secret the user creates (as the comment says), mounted as files or set from its keys.
    secret = {"PASSPHRASE": PASSPHRASE, **CANARIES}
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    (config_map,) = of_kind(docs, "ConfigMap")
    specs = pod_specs(docs)
    cronjobs = {
        doc["metadata"]["annotations"]["duplicity-cron/task"]: doc
        for doc in of_kind(docs, "CronJob")
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] == "task"  # not its restore, drill
    }
    assert sorted(cronjobs) == ["files", "pg"]
    for pod in specs:
        (container,) = pod["containers"]
        assert container["image"] == f"duplicity-postgres:{__version__}"  # its steps call pg_dump ...
        pod_env = dict(config_map["data"])
        for variable in container.get("env", []):
            if "valueFrom" in variable:
                pod_env[variable["name"]] = secret[variable["valueFrom"]["secretKeyRef"]["key"]]
            else:
                key = Path(variable["value"]).name
                (secret_dir / key).write_text(secret[key])
                pod_env[variable["name"]] = str(secret_dir / key)
        assert listing(duplicity_cron("list", "--json", env=pod_env, tmp_path=tmp_path)) == listing(
            duplicity_cron("--env-file", str(source), "list", "--json", env={}, tmp_path=tmp_path)
        )
    for task, cronjob in cronjobs.items():
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["containers"][0]["args"] == ["exec", task]
    assert cronjobs["files"]["spec"]["schedule"] == "20 2 * * 0"
    assert cronjobs["files"]["spec"]["timeZone"] == "America/New_York"
    assert cronjobs["pg"]["spec"]["timeZone"] == "Europe/Paris"


def test_a_seconds_schedule_is_a_warning_for_cronjobs(tmp_path):
    source = tmp_path / "fast.env"
    source.write_text("TASK_t_CRONTAB=*/10 * * * * *\nTASK_t_LOAD=true\n")
    printed = duplicity_cron("--env-file", str(source), "helm-values", env={}, tmp_path=tmp_path)
    assert printed.returncode == 0
    assert (
        "TASK_t_CRONTAB has a seconds field, which a CronJob cannot schedule: use --mode daemon"
        in printed.stderr
    )
    daemon = duplicity_cron(
        "--env-file", str(source), "helm-values", "--mode", "daemon", env={}, tmp_path=tmp_path
    )
    assert json.loads("{" + daemon.stdout.partition("\n{")[2])["mode"] == "daemon"
    assert "CronJob" not in daemon.stderr


def test_every_task_key_survives_the_charts_spelling(tmp_path):
    sets = ["mode=daemon"] + [f"tasks.t.{camel_key(key.name)}=x" for key in TASK_KEYS if not key.secret]
    (config_map,) = of_kind(documents(render_text(sets=sets)), "ConfigMap")
    assert sorted(config_map["data"]) == sorted(f"TASK_t_{key.name}" for key in TASK_KEYS if not key.secret)


def test_the_pods_run_the_image_the_tasks_need_and_the_charts_own_folders(tmp_path):
    """The machine's CONF_STATE_DIR, CONF_WORK_DIR, XDG_CACHE_HOME, HOME and GNUPGHOME (the environment's
    and the env file's) reach no manifest: the pods mount the chart's volumes at the image's folders."""
    source = tmp_path / "db.env"
    host = {"HOME": "/home/me", "GNUPGHOME": "/home/me/.gnupg", "XDG_CACHE_HOME": "/home/me/.cache"}
    lines = ["TASK_db_CRONTAB=0 1 * * *", "TASK_db_DATABASE_URL=postgresql://backup@db:5432/"]
    source.write_text("\n".join(lines + [f"{name}={value}" for name, value in host.items()]) + "\n")
    printed = duplicity_cron("--env-file", str(source), "helm-values", env={}, tmp_path=tmp_path)
    assert printed.returncode == 0, printed.stderr
    values = tmp_path / "values.yaml"
    values.write_text(printed.stdout)
    manifests = render_text([values])
    for path in [*host.values(), str(tmp_path)]:  # the environment's CONF_STATE_DIR ... are under tmp_path
        assert path not in manifests
    docs = documents(manifests)
    for doc in docs:
        kubernetes_validate.validate(doc, "1.37.0", strict=True)
    (pod,) = pod_specs(docs)
    (container,) = pod["containers"]
    assert container["image"] == f"duplicity-postgres:{__version__}"
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts["state"] == "/var/lib/duplicity-cron" and mounts["work"] == "/workdir"
    assert mounts["cache"] == "/cache"
    assert f"docker build --target postgres -t REGISTRY/duplicity-postgres:{__version__} ." in printed.stdout


def test_tasks_that_need_two_images_are_refused(tmp_path):
    source = tmp_path / "two.env"
    source.write_text("TASK_pg_DATABASE_URL=postgresql://backup@db/\nTASK_my_DATABASE_URL=mariadb://b@db/\n")
    printed = duplicity_cron("--env-file", str(source), "helm-values", env={}, tmp_path=tmp_path)
    assert printed.returncode == 2 and printed.stdout == ""
    assert printed.stderr.startswith(
        "duplicity-cron helm-values: the tasks need different images (my the mariadb image; pg the postgres"
    )
