"""The chart's pods run for real with the locally built cron image: `podman kube play` of the pods helm
renders from the Kubernetes examples (their env from the chart's ConfigMap, the PASSPHRASE file from a
Secret, the chart's claims and emptyDirs, the securityContext: uid 1000, read-only root, no
capabilities). A backup Job's pod, then the restore Job's pod, byte-identical; a task's restore Job
and drill Job, and the drill of a damaged backup; the daemon's Deployment and its liveness command.

No cluster can be reached here: podman stands in for the kubelet, and what it does differently was
measured with Debian's podman 4.3.1. It plays Pod, Deployment, PersistentVolumeClaim (a named volume),
ConfigMap (from the same file) and Secret kinds and skips CronJob, Service and the rest; a CronJob's
pod is its jobTemplate's pod template as a Pod. Worked around, each keeping the manifest's meaning:
- a `secret` volume without `optional` crashes it (nil dereference in VolumeFromSecret): `optional:
  false`, Kubernetes' default, is written out (`playable`);
- an emptyDir becomes a named volume called after the pod's volume name (`tmp`), shared by every pod
  alive at the time: the emptyDirs' names get this test's prefix, their mount paths unchanged
  (`playable`);
- a Secret's `data` reaches a secret volume undecoded (the file holds the base64 text) and its
  `stringData` not at all (an empty folder): the Secret is given to podman with `podman secret create`,
  a Secret document whose `data` holds the values themselves (`Kube.secret`);
- a PersistentVolumeClaim that exists already fails the play: the restore pod is played without them.
Not honoured by podman (not checked here): a secret volume's `defaultMode` and `items` (the file is
0644 root:root, where Kubernetes gives 0440 with group fsGroup), `fsGroup`, emptyDir `sizeLimit`, and
a secretKeyRef next to a secret volume (see the daemon test)."""

from __future__ import annotations

import copy
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..chart.conftest import EXAMPLES, documents, render_text
from .util import DUP_OPTS, REPO, Engine, make_tree, tree_digest

RESTORE_TO = "/restore/latest"  # where examples/kubernetes/folder.yaml restores


@pytest.fixture(scope="module")
def helm_installed() -> str:
    """scripts/install-helm.sh (cached); the chart tests' helper reads HELM."""
    if os.environ.get("HELM"):
        return os.environ["HELM"]
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-helm.sh")], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        pytest.fail(f"scripts/install-helm.sh failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    os.environ["HELM"] = proc.stdout.strip().splitlines()[-1]
    return os.environ["HELM"]


class Kube:
    """`podman kube play` with everything it creates recorded, and removed at the end."""

    def __init__(self, engine: Engine, prefix: str):
        self.engine = engine
        self.prefix = prefix
        self.pods: list[str] = []
        self.volumes: list[str] = []
        self.secrets: list[str] = []

    def volume(self, name: str) -> Path:
        self.volumes.append(name)
        self.engine.cmd("volume", "create", name)
        return self.mountpoint(name)

    def secret(self, name: str, tmp_path: Path, **keys: str) -> None:
        """The Secret `kubectl create secret generic NAME --from-file=KEY=...` makes, as podman 4.3.1
        needs it for a secret volume: `data` holding the values, not their base64 (module docstring)."""
        doc = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "type": "Opaque",
            "data": keys,
        }
        path = tmp_path / f"secret-{name}.yaml"
        path.write_text(yaml.safe_dump(doc))
        self.secrets.append(name)
        self.engine.cmd("secret", "create", name, str(path))
        path.unlink()

    def mountpoint(self, name: str) -> Path:
        return Path(self.engine.cmd("volume", "inspect", "--format", "{{.Mountpoint}}", name).stdout.strip())

    def play(self, docs: list[dict[str, Any]], path: Path) -> None:
        for doc in docs:
            name = doc["metadata"]["name"]
            if doc["kind"] == "Pod":
                self.pods.append(name)
            elif doc["kind"] == "Deployment":
                self.pods.append(f"{name}-pod-0")
            elif doc["kind"] == "PersistentVolumeClaim":
                self.volumes.append(name)
            spec = pod_spec(doc)
            for volume in spec["volumes"] if spec else ():
                if "emptyDir" in volume:
                    self.volumes.append(volume["name"])
                elif "secret" in volume:  # podman 4.3.1 copies a secret volume into a named volume
                    self.volumes.append(volume["secret"]["secretName"])
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        self.engine.cmd("kube", "play", str(path), timeout=300)

    def wait(self, container: str, timeout: float = 600) -> int:
        """Until the container has exited (its restartPolicy is Never); its exit code."""
        self.engine.cmd("wait", container, timeout=timeout)
        return int(self.engine.cmd("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip())

    def logs(self, container: str) -> str:
        proc = self.engine.cmd("logs", container, check=False)
        return proc.stdout + proc.stderr

    def clean(self) -> None:
        for pod in self.pods:
            self.engine.cmd("pod", "rm", "-f", "-t", "0", pod, check=False, timeout=120)
        for volume in self.volumes:
            self.engine.cmd("volume", "rm", "-f", volume, check=False, timeout=60)
        for secret in self.secrets:
            self.engine.cmd("secret", "rm", secret, check=False, timeout=60)


@pytest.fixture
def kube(engine) -> Iterator[Kube]:
    if engine.name != "podman":
        pytest.skip(f"podman kube play is podman's; the engine here is {engine.name}")
    kube = Kube(engine, f"k8s-{uuid.uuid4().hex[:8]}")
    try:
        yield kube
    finally:
        kube.clean()


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] == "Pod":
        return doc["spec"]
    if doc["kind"] == "Deployment":
        return doc["spec"]["template"]["spec"]
    return None


def playable(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The same Pod or Deployment, with podman 4.3.1's defects worked around (module docstring)."""
    doc = copy.deepcopy(doc)
    spec = pod_spec(doc)
    assert spec is not None
    renamed = {}
    for volume in spec["volumes"]:
        if "secret" in volume:
            volume["secret"].setdefault("optional", False)
        if "emptyDir" in volume:
            renamed[volume["name"]] = volume["name"] = f"{prefix}-{volume['name']}"
    for container in spec["containers"]:
        for mount in container["volumeMounts"]:
            mount["name"] = renamed.get(mount["name"], mount["name"])
    return doc


def job_pod(cronjob: dict[str, Any], name: str) -> dict[str, Any]:
    """The pod a Job of this CronJob runs: its jobTemplate's pod template as a Pod."""
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **template["metadata"]},
        "spec": template["spec"],
    }


def render(
    kube: Kube, tmp_path: Path, image: str, example: str, volumes: list[str], **more: Any
) -> list[dict[str, Any]]:
    """The example's values as docs/how-to/kubernetes.md installs them, with this test's image, Secret
    and claims."""
    repository, _, tag = image.rpartition(":")
    p = kube.prefix
    overrides = {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "Never"},
        "existingSecret": f"{p}-secrets",
        "extraVolumes": [{"name": v, "persistentVolumeClaim": {"claimName": f"{p}-{v}"}} for v in volumes],
        **more,
    }
    overrides["extraVolumes"][0]["persistentVolumeClaim"]["readOnly"] = True  # data, as the example
    path = tmp_path / f"overrides-{example}"
    path.write_text(yaml.safe_dump(overrides))
    return documents(render_text([EXAMPLES / example, path], release=p))


def the(docs: list[dict[str, Any]], kind: str, name_ends: str = "") -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_ends)]
    assert len(found) == 1, [(d["kind"], d["metadata"]["name"]) for d in docs]
    return found[0]


def assert_as_rendered(engine: Engine, container: str, spec: dict[str, Any]) -> None:
    """podman took the pod's securityContext and mounts rather than dropping them."""
    ctx, own = spec["securityContext"], spec["containers"][0]["securityContext"]
    info = engine.cmd(
        "inspect",
        "--format",
        "{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.CapDrop}}|{{.Config.Hostname}}"
        "|{{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}",
        container,
    ).stdout.strip()
    user, read_only, cap_drop, hostname, mounts = info.split("|")
    assert user == f"{ctx['runAsUser']}:{ctx['runAsGroup']}"
    assert read_only == "true" and own["readOnlyRootFilesystem"] is True
    # drop: [ALL] is podman's default set dropped (measured: CapEff 0 in such a container)
    assert own["capabilities"]["drop"] == ["ALL"]
    assert {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID", "CAP_NET_RAW"} <= set(
        cap_drop[1:-1].split()
    )
    assert hostname == spec["hostname"]
    expected = {m["mountPath"]: not m.get("readOnly", False) for m in spec["containers"][0]["volumeMounts"]}
    assert dict(m.rsplit(":", 1) for m in mounts.split()) == {k: str(v).lower() for k, v in expected.items()}


def test_the_backup_job_then_the_restore_job_restore_the_tree_byte_for_byte(
    engine, kube, tmp_path, helm_installed
):
    image = engine.image("cron")
    docs = render(kube, tmp_path, image, "folder.yaml", ["data", "backups", "restore"])
    p = kube.prefix
    canary = f"canary-{uuid.uuid4().hex}"
    source = make_tree(kube.volume(f"{p}-data"))
    kube.volume(f"{p}-backups")
    kube.volume(f"{p}-restore")

    # the backup: a Job of the task's CronJob, with the chart's ConfigMap and claims, and the Secret
    home = the(docs, "CronJob", "-cron-home")
    backup = playable(job_pod(home, f"{p}-home"), p)
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert sorted(c["metadata"]["name"] for c in claims) == [
        f"{p}-duplicity-cron-cache-home",
        f"{p}-duplicity-cron-state-home",
    ]
    configmap = the(docs, "ConfigMap")
    kube.secret(f"{p}-secrets", tmp_path, PASSPHRASE=canary)
    kube.play([configmap, *claims, backup], tmp_path / "backup.yaml")
    container = f"{p}-home-duplicity-cron"
    assert_as_rendered(engine, container, backup["spec"])
    code = kube.wait(container)
    backup_log = kube.logs(container)
    assert code == 0, backup_log
    target = kube.mountpoint(f"{p}-backups") / "home"
    names = sorted(path.name for path in target.iterdir())
    assert any(n.startswith("duplicity-full.") and n.endswith(".manifest.gpg") for n in names), names
    assert any(n.startswith("duplicity-full.") and ".vol1.difftar" in n for n in names), names
    assert any(n.startswith("duplicity-full-signatures.") for n in names), names
    assert all(n.endswith(".gpg") for n in names), names  # encrypted: the passphrase file was read
    # with the Secret's value: duplicity given the canary itself reads the backup set
    listed = engine.run(
        image,
        "list-current-files",
        *DUP_OPTS,
        "file:///backups/home",
        entrypoint="duplicity",
        env={"PASSPHRASE": canary},
        volumes=[f"{p}-backups:/backups:ro"],
    )
    assert listed.returncode == 0 and "text.sql" in listed.stdout, listed.stdout + listed.stderr

    # the restore: a Job of the suspended restore CronJob (its cache and state are emptyDirs)
    restore_job = the(docs, "CronJob", "-restore")
    assert restore_job["spec"]["suspend"] is True
    restore = playable(job_pod(restore_job, f"{p}-restore"), p)
    kube.play([configmap, restore], tmp_path / "restore.yaml")
    container = f"{p}-restore-duplicity-cron"
    assert_as_rendered(engine, container, restore["spec"])
    code = kube.wait(container)
    restore_log = kube.logs(container)
    assert code == 0, restore_log
    restored = kube.mountpoint(f"{p}-restore") / RESTORE_TO.removeprefix("/restore/")
    assert tree_digest(restored) == tree_digest(source)
    assert len(tree_digest(source)) > 30

    for log in (backup_log, restore_log):
        assert canary not in log


def run_job(kube: Kube, tmp_path: Path, played: list[dict[str, Any]], cronjob: dict[str, Any], name: str):
    """A Job of this CronJob, as `kubectl create job --from=cronjob/...` makes it: its pod, played with
    the docs it needs, until it exits; its exit code and log."""
    pod = playable(job_pod(cronjob, name), kube.prefix)
    kube.play([*played, pod], tmp_path / f"{name}.yaml")
    container = f"{name}-duplicity-cron"
    assert_as_rendered(kube.engine, container, pod["spec"])
    code = kube.wait(container)
    return code, kube.logs(container)


def test_a_tasks_restore_job_and_drill_job_restore_it_and_check_it_and_fail_on_damage(
    engine, kube, tmp_path, helm_installed
):
    """The two commands of docs/how-to/kubernetes.md, "Restore a task" and "Run a drill": the Jobs of
    `<release>-restore-home` (restore home --to /restore/home, folder.yaml's restoreArgs) and of
    `<release>-verify-home` (verify home) after a backup Job; then the drill of a damaged backup."""
    image = engine.image("cron")
    docs = render(kube, tmp_path, image, "folder.yaml", ["data", "backups", "restore"])
    p = kube.prefix
    canary = f"canary-{uuid.uuid4().hex}"
    source = make_tree(kube.volume(f"{p}-data"))
    kube.volume(f"{p}-backups")
    kube.volume(f"{p}-restore")
    kube.secret(f"{p}-secrets", tmp_path, PASSPHRASE=canary)
    configmap = the(docs, "ConfigMap")
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    code, backup_log = run_job(
        kube, tmp_path, [configmap, *claims], the(docs, "CronJob", "-cron-home"), f"{p}-home"
    )
    assert code == 0, backup_log

    # restore home: the task's own restore, into the folder its restoreArgs name, byte for byte
    restore_job = the(docs, "CronJob", "-restore-home")
    assert restore_job["spec"]["suspend"] is True
    name = restore_job["metadata"]["name"]
    assert restore_job["metadata"]["annotations"]["duplicity-cron/run-with"] == (
        f"kubectl create job --from=cronjob/{name} {name}-$(date +%s)"
    )
    code, restore_log = run_job(kube, tmp_path, [configmap], restore_job, f"{p}-restore-home")
    assert code == 0, restore_log
    assert restore_log.rstrip().endswith("/restore/home"), restore_log  # the folder, on the last line
    assert tree_digest(kube.mountpoint(f"{p}-restore") / "home") == tree_digest(source)
    assert len(tree_digest(source)) > 30

    # verify home: a drill, compared with the backup the task's state claim recorded
    drill_job = the(docs, "CronJob", "-verify-home")
    assert drill_job["spec"]["suspend"] is True
    code, drill_log = run_job(kube, tmp_path, [configmap], drill_job, f"{p}-verify-home")
    assert code == 0, drill_log
    assert "verified: the latest backup was restored and checked;" in drill_log, drill_log
    assert "as the backup of" in drill_log and "recorded" in drill_log, drill_log

    # the backup damaged (a volume cut in half): the same drill fails, and says so
    (volume,) = (kube.mountpoint(f"{p}-backups") / "home").glob("duplicity-full.*.vol1.difftar.gpg")
    with volume.open("r+b") as damaged:
        damaged.truncate(volume.stat().st_size // 2)
    code, damaged_log = run_job(kube, tmp_path, [configmap], drill_job, f"{p}-verify-home-2")
    assert code == 1, damaged_log
    assert "ERROR: verify failed: the restore of the latest backup failed" in damaged_log, damaged_log

    for log in (backup_log, restore_log, drill_log, damaged_log):
        assert canary not in log


def test_the_daemon_deployment_is_live_by_its_own_probe_and_not_once_stopped(
    engine, kube, tmp_path, helm_installed
):
    image = engine.image("cron")
    # the example's TASK_home_PING_URL (a secretKeyRef) is left out: podman 4.3.1 reads a secretKeyRef
    # from a podman secret holding a JSON map of base64 values, a secret volume from one holding a
    # Secret document, and one Secret cannot be both (measured)
    docs = render(kube, tmp_path, image, "daemon.yaml", ["data", "backups"], secretKeys=["PASSPHRASE"])
    p = kube.prefix
    canary = f"canary-{uuid.uuid4().hex}"
    for name in ("data", "backups"):
        kube.volume(f"{p}-{name}")
    deployment = playable(the(docs, "Deployment"), p)
    played = [d for d in docs if d["kind"] in ("ConfigMap", "PersistentVolumeClaim")]
    assert sorted(d["kind"] for d in played) == ["ConfigMap", *["PersistentVolumeClaim"] * 2]
    kube.secret(f"{p}-secrets", tmp_path, PASSPHRASE=canary)
    kube.play(
        [*played, deployment],
        tmp_path / "daemon.yaml",
    )
    pod = f"{deployment['metadata']['name']}-pod-0"
    container = f"{pod}-duplicity-cron"
    spec = deployment["spec"]["template"]["spec"]
    assert_as_rendered(engine, container, spec)

    # the Secret's key as the chart passes it: a file, named by PASSPHRASE_FILE
    assert engine.cmd("exec", container, "sh", "-c", 'cat "$PASSPHRASE_FILE"').stdout == canary

    # the liveness probe as the kubelet runs it: its exec command in the container, until it passes
    probe = spec["containers"][0]["livenessProbe"]["exec"]["command"]
    assert probe == ["duplicity-cron", "healthcheck", "--liveness"]
    deadline = time.monotonic() + 180
    while True:
        result = engine.cmd("exec", container, *probe, check=False)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert (result.returncode, result.stdout.strip()) == (0, "healthy"), result.stdout + result.stderr

    # stopped (SIGTERM, as on a pod's deletion), the same probe on its state claim says so
    engine.cmd("pod", "stop", "-t", str(spec["terminationGracePeriodSeconds"]), pod, timeout=120)
    assert engine.cmd("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip() == "0"
    state = next(v for v in spec["volumes"] if v["name"] == "state")["persistentVolumeClaim"]["claimName"]
    stopped = engine.run(
        image, *probe[1:], user="1000:1000", read_only=True, volumes=[f"{state}:/var/lib/duplicity-cron"]
    )
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert stopped.stdout.startswith("unhealthy: the scheduler stopped at"), stopped.stdout
    assert canary not in kube.logs(container)
