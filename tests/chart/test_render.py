"""helm lint and helm template for the default values and the examples; every manifest strictly valid
for the oldest and newest Kubernetes the chart supports; the CronJobs, pods and daemon as designed."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from duplicity_cron.config.secrets import looks_secret
from duplicity_cron.views.helm_values import secret_file_of

from .conftest import CHART, COMMAND, EXAMPLES, ROOT, documents, helm, of_kind, pod_specs, render_text

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
KUBERNETES = ("1.27.0", "1.37.0")  # Chart.yaml's kubeVersion (CronJob timeZone is stable from 1.27)
# Prometheus operator kinds: kubernetes-validate bundles Kubernetes' own schemas only.
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}


def test_the_examples_are_those_the_readme_names():
    assert [path.stem for path in EXAMPLE_FILES] == ["daemon", "folder", "mariadb", "postgres"]


@pytest.mark.parametrize("values", [None, *EXAMPLE_FILES], ids=lambda p: p.stem if p else "default")
def test_lint_passes_strictly(values):
    args = ["lint", "--strict", str(CHART)] + (["-f", str(values)] if values else [])
    result = helm(*args)
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("version", KUBERNETES)
@pytest.mark.parametrize("values", [None, *EXAMPLE_FILES], ids=lambda p: p.stem if p else "default")
def test_every_manifest_is_valid_for_kubernetes(values, version):
    docs = documents(render_text([values] if values else []))
    assert docs
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            assert doc["apiVersion"] == "monitoring.coreos.com/v1"
            continue
        kubernetes_validate.validate(doc, version, strict=True)


def test_each_scheduled_task_is_one_cronjob_with_its_schedule_zone_and_deadlines(render):
    docs = render(EXAMPLES / "folder.yaml")
    jobs = {doc["metadata"]["name"]: doc["spec"] for doc in of_kind(docs, "CronJob")}
    assert sorted(jobs) == [
        "backup-duplicity-cron-home",
        "backup-duplicity-cron-restore",
        "backup-duplicity-cron-restore-home",
        "backup-duplicity-cron-verify-home",
    ]
    home = jobs["backup-duplicity-cron-home"]
    assert home["schedule"] == "0 2 * * *"
    assert home["timeZone"] == "Europe/Paris"
    assert home["concurrencyPolicy"] == "Forbid"
    assert home["startingDeadlineSeconds"] == 300
    assert (home["successfulJobsHistoryLimit"], home["failedJobsHistoryLimit"]) == (3, 3)
    job = home["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    assert job["activeDeadlineSeconds"] == 2 * 6 * 3600 + 300  # TIMEOUT 6h, its hooks' TIMEOUT, margin
    assert job["ttlSecondsAfterFinished"] == 604800
    pod = job["template"]["spec"]
    assert pod["containers"][0]["args"] == ["exec", "home"]
    assert pod["restartPolicy"] == "Never"
    assert pod["hostname"] == "backup-duplicity-cron"
    claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims["cache"] == "backup-duplicity-cron-cache-home"
    assert claims["state"] == "backup-duplicity-cron-state-home"
    made = {doc["metadata"]["name"] for doc in of_kind(docs, "PersistentVolumeClaim")}
    assert made == {"backup-duplicity-cron-cache-home", "backup-duplicity-cron-state-home"}


def test_the_restore_tasks_are_a_job_template_that_never_fires(render):
    (restore,) = [
        doc
        for doc in of_kind(render(EXAMPLES / "folder.yaml"), "CronJob")
        if doc["metadata"]["name"].endswith("-restore")
    ]
    assert restore["spec"]["suspend"] is True
    assert restore["spec"]["schedule"] == "0 0 31 2 *"  # 31 February: not even when unsuspended
    assert restore["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["restore"]
    command = restore["metadata"]["annotations"]["duplicity-cron/run-with"]
    name = "backup-duplicity-cron-restore"
    assert command == f"kubectl create job --from=cronjob/{name} {name}-$(date +%s)"


@pytest.mark.parametrize(
    ("task", "schedule", "zone", "deadline"),
    [
        ({"periodicity": "weekly", "load": "true"}, "20 2 * * 0", "Etc/UTC", None),
        (
            {"crontab": "@daily", "tz": "America/New_York", "timeout": "1h30m", "load": "true"},
            "@daily",
            "America/New_York",
            5400 * 2 + 300,
        ),
        ({"CRONTAB": "*/5 * * * *", "TIMEOUT": "45", "LOAD": "true"}, "*/5 * * * *", "Etc/UTC", 90 + 300),
        ({"crontab": "0 3 * * 1-5", "timeout": "1.5m", "load": "true"}, "0 3 * * 1-5", "Etc/UTC", 180 + 300),
        ({"crontab": "0 3 * * *", "timeout": "1d", "load": "true"}, "0 3 * * *", "Etc/UTC", 2 * 86400 + 300),
    ],
)
def test_schedules_zones_and_timeouts_are_translated(render, task, schedule, zone, deadline):
    sets = [f"tasks.t.{key}={value}" for key, value in task.items()]
    (cron,) = of_kind(render(sets=sets), "CronJob")
    assert cron["spec"]["schedule"] == schedule
    assert cron["spec"]["timeZone"] == zone
    assert cron["spec"]["jobTemplate"]["spec"].get("activeDeadlineSeconds") == deadline


def test_unscheduled_tasks_get_no_cronjob_and_values_become_the_variables(render):
    docs = render(
        sets=["tasks.my_db\\.x.load=echo $SRC", "tasks.my_db\\.x.fullEvery=7D", "env.TZ=Asia/Tokyo"]
    )
    assert of_kind(docs, "CronJob") == []
    (config_map,) = of_kind(docs, "ConfigMap")
    assert config_map["data"] == {
        "TASK_my_db.x_LOAD": "echo $SRC",
        "TASK_my_db.x_FULL_EVERY": "7D",
        "TZ": "Asia/Tokyo",
    }


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["tasks.t.crontab=*/10 * * * * *"], "a seconds field cannot be scheduled by a Kubernetes CronJob"),
        (["tasks.t.periodicity=yearly"], "expected hourly, daily, weekly or monthly"),
        (["tasks.t.crontab=@daily", "tasks.t.timeout=soon"], 'timeout "soon" is not a duration'),
        (["env.PASSPHRASE=canary-in-values"], "env.PASSPHRASE: its value is a secret"),
        (["tasks.t.pingUrl=https://hc-ping.com/canary"], "tasks.t.pingUrl: its value is a secret"),
        (["tasks.t.target=sftp://u:canary@h/x"], "holds a URL with a password"),
        (["env.DB_DSN=postgresql://app:canary@db/app"], "env.DB_DSN: holds a URL with a password"),
        (["secretKeys={PASSPHRASE}"], "secretKeys needs existingSecret"),
        (["mode=cron"], 'mode "cron": expected cronjobs or daemon'),
        (["tasks.a_b.crontab=@daily", "tasks.a\\.b.crontab=@daily"], "is taken by another task"),
    ],
)
def test_mistakes_fail_the_rendering_with_a_message_and_never_the_secret(sets, message):
    args = ["template", "backup", str(CHART)] + [arg for each in sets for arg in ("--set", each)]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    for secret in ("canary-in-values", "hc-ping.com/canary", ":canary@"):
        assert secret not in result.stderr


def test_long_task_ids_get_short_unique_cronjob_names(render):
    long_a, long_b = "a" * 60 + "_one", "a" * 60 + "_two"
    docs = render(sets=[f"tasks.{long_a}.crontab=@daily", f"tasks.{long_b}.crontab=@daily"])
    names = [doc["metadata"]["name"] for doc in of_kind(docs, "CronJob")]
    assert len(set(names)) == 2 and all(len(name) <= 52 for name in names)
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) for name in names)


def test_pods_run_non_root_read_only_without_a_token(render):
    for values in EXAMPLE_FILES:
        specs = pod_specs(render(values))
        assert specs
        for pod in specs:
            assert pod["automountServiceAccountToken"] is False
            assert (
                pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 1000
            )
            (container,) = pod["containers"]
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
            assert "emptyDir" in tmp
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
            assert re.fullmatch(
                r"duplicity-(cron|postgres|mariadb):0\.1\.0", container["image"]
            )  # appVersion


def test_secret_keys_reach_the_tasks_as_files_or_from_the_secret():
    names = ["PASSPHRASE", "PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "BACKEND_PASSWORD", "MYSQL_PWD",
             "TASK_db_PING_URL", "TASK_db_TARGET", "CONF_NOTIFY_URLS", "GITHUB_TOKEN", "DB_DSN"]  # fmt: skip
    sets = ["existingSecret=s", "tasks.db.crontab=@daily", f"secretKeys={{{','.join(names)}}}"]
    (cron,) = [
        c
        for c in of_kind(documents(render_text(sets=sets)), "CronJob")
        if c["metadata"]["name"] == "backup-duplicity-cron-db"
    ]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    (secret_volume,) = [v["secret"] for v in pod["volumes"] if "secret" in v]
    mounted = {item["key"] for item in secret_volume["items"]}
    for name in names:
        as_file = secret_file_of(name + "_FILE") == name  # the runner's own rule
        assert (name in mounted) == as_file, name
        if as_file:
            assert env[name + "_FILE"] == {
                "name": name + "_FILE",
                "value": f"/run/secrets/duplicity-cron/{name}",
            }
        else:
            assert env[name]["valueFrom"] == {"secretKeyRef": {"name": "s", "key": name}}
    assert looks_secret("TASK_db_PING_URL") and "TASK_db_PING_URL" not in mounted  # no *_FILE for task keys


def test_daemon_mode_is_one_recreated_deployment_with_liveness_metrics_and_alerts(render):
    docs = render(EXAMPLES / "daemon.yaml")
    assert of_kind(docs, "CronJob") == []
    (deployment,) = of_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["run"]
    assert container["livenessProbe"]["exec"]["command"] == ["duplicity-cron", "healthcheck", "--liveness"]
    assert {"name": "CONF_METRICS_PORT", "value": "9100"} in container["env"]
    (service,) = of_kind(docs, "Service")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9100, "targetPort": "metrics"}]
    (monitor,) = of_kind(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    (rule,) = of_kind(docs, "PrometheusRule")
    rendered = {r["alert"]: r["expr"] for r in rule["spec"]["groups"][0]["rules"]}
    readme = (ROOT / "docs/how-to/monitoring.md").read_text()
    for alert, expr in rendered.items():
        assert f"- alert: {alert}" in readme and f"expr: {expr}" in readme, alert
    assert sorted(rendered) == [
        "BackupDrillFailed", "BackupLastRunFailed", "BackupOverdue", "BackupSchedulerDown", "BackupTooOld",
    ]  # fmt: skip
    claims = {doc["metadata"]["name"] for doc in of_kind(docs, "PersistentVolumeClaim")}
    assert claims == {"backup-duplicity-cron-cache", "backup-duplicity-cron-state"}


ONE_OFF_TASKS = [
    "tasks.files.crontab=@daily",
    "tasks.files.source=/data",
    "tasks.files.target=file:///backups/files",
    "tasks.files.timeout=1h",
    "oneOffJobs.restoreArgs.files={--to,/restore/files,--force}",
    "tasks.db.databaseUrl=postgresql://backup@db:5432/",  # the built-in dump, unscheduled
    "tasks.db.target=s3:///bucket/db",
    "tasks.plain.crontab=@daily",  # restores files, no --to: a drill only
    "tasks.plain.source=/data",
    "tasks.plain.target=file:///backups/plain",
    "tasks.hidden.crontab=@daily",  # its TARGET (with a password) is in the Secret
    "tasks.hidden.databaseUrl=postgresql://backup@db:5432/",
    "existingSecret=s",
    "secretKeys={TASK_hidden_TARGET}",
    "tasks.steps.crontab=@daily",  # no target: nothing to restore or verify
    "tasks.steps.load=true",
]


def one_off_jobs(docs):
    return {
        doc["metadata"]["name"].removeprefix("backup-duplicity-cron-"): doc
        for doc in of_kind(docs, "CronJob")
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] in ("restore", "verify")
    }


def test_each_task_with_a_target_has_its_restore_and_its_drill_as_jobs_that_never_fire(render):
    jobs = one_off_jobs(render(sets=ONE_OFF_TASKS))
    args = {name: job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
            for name, job in jobs.items()}  # fmt: skip
    assert args == {
        "restore-files": ["restore", "files", "--to", "/restore/files", "--force"],
        "verify-files": ["verify", "files"],
        "restore-db": ["restore", "db"],
        "verify-db": ["verify", "db"],
        "verify-plain": ["verify", "plain"],
        "restore-hidden": ["restore", "hidden"],
        "verify-hidden": ["verify", "hidden"],
    }
    for name, job in jobs.items():
        full = f"backup-duplicity-cron-{name}"
        assert job["spec"]["suspend"] is True
        assert job["spec"]["schedule"] == "0 0 31 2 *"
        command = job["metadata"]["annotations"]["duplicity-cron/run-with"]
        assert command == f"kubectl create job --from=cronjob/{full} {full}-$(date +%s)"
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == name.split("-")[0]
        assert job["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
        assert job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"

    def claims(name):
        pod = jobs[name]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in pod["volumes"]}

    # a scheduled task's claims (the drill compares with the backup its state recorded); else emptyDirs
    for name in ("restore-files", "verify-files"):
        assert claims(name)["cache"] == "backup-duplicity-cron-cache-files"
        assert claims(name)["state"] == "backup-duplicity-cron-state-files"
    assert claims("verify-db")["state"] is None and claims("restore-db")["cache"] is None
    # the drill's deadline is the task's (2 x TIMEOUT + margin); the restore's CONF_RESTORE_TIMEOUT's
    assert jobs["verify-files"]["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 2 * 3600 + 300
    assert "activeDeadlineSeconds" not in jobs["restore-files"]["spec"]["jobTemplate"]["spec"]


@pytest.mark.parametrize("switch", ["oneOffJobs.enabled=false", "mode=daemon"])
def test_no_one_off_jobs_when_switched_off_or_in_daemon_mode(render, switch):
    assert one_off_jobs(render(sets=[*ONE_OFF_TASKS, switch])) == {}


def test_long_task_ids_get_short_unique_one_off_job_names(render):
    long_id = "b" * 60
    sets = [f"tasks.{long_id}.crontab=@daily", f"tasks.{long_id}.target=file:///x",
            f"tasks.{long_id}.databaseUrl=postgresql://a@b/"]  # fmt: skip
    names = [doc["metadata"]["name"] for doc in of_kind(render(sets=sets), "CronJob")]
    assert len(names) == 3 and len(set(names)) == 3
    assert all(len(name) <= 52 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) for name in names)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["tasks.t.target=file:///x", "tasks.verify-t.crontab=@daily", "tasks.verify-t.load=true"],
            "tasks.t: the name backup-duplicity-cron-verify-t of its verify Job is taken by the CronJob of "
            "task verify-t; rename one, or set oneOffJobs.enabled=false",
        ),
        (
            [
                "tasks.t.target=file:///x",
                "tasks.t.databaseUrl=postgresql://a@b/",
                "tasks.restore-t.crontab=@daily",
                "tasks.restore-t.load=true",
            ],
            "the name backup-duplicity-cron-restore-t of its restore Job is taken by the CronJob of task",
        ),
        (
            ["tasks.t.target=file:///x", "tasks.t.source=/data", "oneOffJobs.restoreArgs.t={--time,3D}"],
            "oneOffJobs.restoreArgs.t: task t restores files: add --to DIR",
        ),
        (["tasks.t.load=true", "oneOffJobs.restoreArgs.t={--drop}"], "task t has no target to restore from"),
        (["oneOffJobs.restoreArgs.nope={--drop}"], "oneOffJobs.restoreArgs.nope: there is no task nope"),
        (
            [
                "tasks.t.target=file:///x",
                "tasks.t.databaseUrl=postgresql://a@b/",
                "oneOffJobs.restoreArgs.t={--to-url,postgresql://u:canary@h/}",
            ],
            "oneOffJobs.restoreArgs.t: holds a URL with a password",
        ),
    ],
)
def test_one_off_job_mistakes_fail_the_rendering_with_a_message(sets, message):
    args = ["template", "backup", str(CHART)] + [arg for each in sets for arg in ("--set", each)]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert ":canary@" not in result.stderr


def install_notes(*values: Path, sets: Sequence[str] = ()) -> str:
    args = ["install", "--dry-run=client", "backup", str(CHART)]
    args += [arg for path in values for arg in ("-f", str(path))]
    args += [arg for each in sets for arg in ("--set", each)]
    return helm(*args).stdout.partition("\nNOTES:\n")[2]


def test_the_notes_print_the_command_of_each_restore_and_drill():
    notes = install_notes(EXAMPLES / "folder.yaml")
    for name in ("backup-duplicity-cron-restore-home", "backup-duplicity-cron-verify-home"):
        assert f"kubectl create job --from=cronjob/{name} {name}-$(date +%s)" in notes
    assert "# duplicity-cron restore home --to /restore/home" in notes
    assert "# duplicity-cron verify home" in notes
    without = install_notes(EXAMPLES / "folder.yaml", sets=["oneOffJobs.restoreArgs=null"])
    assert "restore-home" not in without and "--from=cronjob/backup-duplicity-cron-verify-home" in without
    assert "home: no restore Job (it restores files): set oneOffJobs.restoreArgs.home: [--to," in without


@pytest.mark.parametrize("values", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_the_commands_in_an_examples_comments_name_cronjobs_it_renders(values):
    """Each `kubectl create job --from=cronjob/NAME` in an example's comments names a CronJob of the
    release its `helm install` line makes, and each task's restore and drill Job is shown."""
    text = values.read_text()
    (release,) = re.findall(
        rf"helm install (\S+) charts/duplicity-cron -f examples/kubernetes/{values.name}", text
    )
    named = set(re.findall(r"kubectl create job --from=cronjob/(\S+) ", text))
    cronjobs = of_kind(documents(render_text([values], release=release)), "CronJob")
    assert named <= {doc["metadata"]["name"] for doc in cronjobs}
    one_off = {
        doc["metadata"]["name"]
        for doc in cronjobs
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] in ("restore", "verify")
        and "duplicity-cron/task" in doc["metadata"]["annotations"]
    }
    assert one_off <= named


@pytest.mark.parametrize("example", ["postgres", "mariadb"])
def test_the_database_examples_are_valid_configurations(example, tmp_path):
    """The runner's `check` of the pods' environment: the ConfigMap, and each key of the Secret."""
    docs = documents(render_text([EXAMPLES / f"{example}.yaml"]))
    (config_map,) = of_kind(docs, "ConfigMap")
    keys = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text())["secretKeys"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CONF_STATE_DIR": str(tmp_path / "state"),
           "CONF_WORK_DIR": str(tmp_path / "work"), **config_map["data"]}  # fmt: skip
    env.update({key: f"{key.lower()}-value" for key in keys})
    checked = subprocess.run([COMMAND, "check"], env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "configuration OK: 1 task(s), 1 scheduled" in checked.stdout


def test_the_notes_of_a_scheduler_show_how_to_reach_its_status_page():
    notes = install_notes(sets=["mode=daemon", "daemon.metrics.port=9200"])
    services = of_kind(documents(render_text([], release="backup", sets=["mode=daemon"])), "Service")
    assert [doc["metadata"]["name"] for doc in services] == ["backup-duplicity-cron-metrics"]
    assert "kubectl port-forward svc/backup-duplicity-cron-metrics 9200" in notes
    assert "open http://127.0.0.1:9200/" in notes
    quiet = install_notes(sets=["mode=daemon", "daemon.metrics.enabled=false"])
    assert "port-forward" not in quiet
