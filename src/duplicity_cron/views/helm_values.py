"""The chart's values (charts/duplicity-cron) from the variables a compose user sets: `helm-values`.

Pure. TASK_<id>_<KEY> becomes tasks.<id>.<key> (camelCase), the other variables env; every secret
(a secret-looking name, a URL with a password in any value, a `*_FILE` secret) becomes a key of the
Secret the user creates, never a value: the output names the keys and, for `*_FILE`s, the files.
A host's own folders (CONF_STATE_DIR, HOME ...) are never copied: the chart mounts its own there. The
image is the one whose programs the tasks call (`helm_image`).
JSON is YAML, so helm reads the output as it is; the comments before it are YAML comments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..config.secrets import looks_secret, url_passwords
from ..config.settings import CONF_PREFIX
from ..config.task_keys import TASK_PREFIX
from ..config.task_variables import split_task_variable
from .helm_image import CRON, Image, pick_image

MODES = ("cronjobs", "daemon")
_FILE = "_FILE"
# Variables the chart sets itself: the daemon's metrics port is `daemon.metrics.port`.
_METRICS_PORT = "CONF_METRICS_PORT"
# Folders of the machine helm-values runs on: in a pod the chart mounts its own volumes (state, work,
# cache, /tmp) and the image sets HOME and GNUPGHOME, so a host's path there would point at nothing.
HOST_PATHS = frozenset(
    {"CONF_STATE_DIR", "CONF_WORK_DIR", "HOME", "GNUPGHOME", "TMPDIR"}
    | {f"XDG_{name}_HOME" for name in ("CACHE", "CONFIG", "DATA", "STATE")}
    | {"XDG_RUNTIME_DIR"}
)


@dataclass(frozen=True)
class SecretKey:
    name: str  # the key in the Secret (and the variable the tasks get)
    file: str | None  # the local file holding it, when it came from NAME_FILE


@dataclass(frozen=True)
class HelmValues:
    values: dict[str, Any]
    secrets: tuple[SecretKey, ...]
    mounts: tuple[str, ...]  # folders the tasks read or write, for extraVolumes
    warnings: tuple[str, ...]
    image: Image
    host_paths: tuple[str, ...] = ()  # the HOST_PATHS left out of env


def camel_key(key: str) -> str:
    """FULL_EVERY -> fullEvery: the chart's spelling of a task key (its `snakecase | upper` undoes it)."""
    first, *rest = key.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


def secret_file_of(name: str) -> str | None:
    """NAME for a NAME_FILE the runner reads as a secret. Task keys have no file form, and a CONF_*_FILE is
    an unknown setting: those reach the pod from the Secret as the variable itself."""
    if not name.upper().endswith(_FILE) or name.upper().startswith((TASK_PREFIX, CONF_PREFIX)):
        return None
    secret = name[: -len(_FILE)]
    return secret if secret and looks_secret(secret) else None


def is_secret(name: str, value: str) -> bool:
    return looks_secret(name) or bool(url_passwords(value))


def convert(
    variables: Mapping[str, str], config: Config, mode: str, secret_name: str, tag: str
) -> HelmValues:
    """Values for the chart from `variables` (never resolved secrets), validated as `config`, for the
    image tagged `tag`; ValueError when the tasks need two images (`helm_image.pick_image`)."""
    image = pick_image(config.tasks.values())
    env: dict[str, str] = {}
    tasks: dict[str, dict[str, str]] = {}
    secrets: dict[str, SecretKey] = {}
    for name, value in sorted(variables.items()):
        secret = secret_file_of(name)
        split = split_task_variable(name) if name.startswith(TASK_PREFIX) else None
        if secret is not None:
            secrets[secret] = SecretKey(secret, value)
        elif is_secret(name, value):
            secrets.setdefault(name, SecretKey(name, None))
        elif split is not None:
            tasks.setdefault(split[0], {})[camel_key(split[1])] = value
        elif name != _METRICS_PORT and name not in HOST_PATHS:
            env[name] = value
    image_values = {"repository": image.repository, "tag": tag}
    values: dict[str, Any] = {"mode": mode, "image": image_values, "env": env, "tasks": tasks}
    if secrets:
        values["existingSecret"] = secret_name
        values["secretKeys"] = sorted(secrets)
    if mode == "daemon" and config.metrics_port is not None:
        values["daemon"] = {"metrics": {"enabled": True, "port": config.metrics_port}}
    return HelmValues(
        values,
        tuple(secrets[key] for key in sorted(secrets)),
        _mounts(config),
        _warnings(config, mode),
        image,
        tuple(sorted(HOST_PATHS & set(variables))),
    )


def _mounts(config: Config) -> tuple[str, ...]:
    folders = set()
    for task in config.tasks.values():
        if task.source is not None:
            folders.add(task.source)
        if task.target is not None and task.target.startswith("file://"):
            folders.add(task.target.removeprefix("file://"))
    return tuple(sorted(folders))


def _warnings(config: Config, mode: str) -> tuple[str, ...]:
    if mode != "cronjobs":
        return ()
    return tuple(
        f"TASK_{task.id}_CRONTAB has a seconds field, which a CronJob cannot schedule: use --mode daemon"
        for task in sorted(config.scheduled_tasks, key=lambda t: t.id)
        if getattr(task.schedule, "has_seconds", False)
    )


def render(converted: HelmValues, release: str, secret_name: str) -> str:
    """YAML comments saying what to do next, then the values as JSON."""
    lines = [
        "# Values for charts/duplicity-cron, written by `duplicity-cron helm-values`.",
        f"#   helm install {release} charts/duplicity-cron -f values.yaml",
    ]
    if converted.secrets:
        lines.append(f"# No secret is written here. Create the Secret {secret_name} with these keys first:")
        parts = [
            f"--from-file={key.name}={key.file or '<a file holding ' + key.name + '>'}"
            for key in converted.secrets
        ]
        lines.append(f"#   kubectl create secret generic {secret_name} " + " ".join(parts))
    image, tag = converted.image, converted.values["image"]["tag"]
    needs = (
        f"what {', '.join(image.tasks)} need"
        if image.target != CRON
        else "no task needs a database client or docker"
    )
    lines += [
        f"# The image: {image.repository} ({needs}). Build, tag and push it to your registry, then set",
        f"# image.repository to REGISTRY/{image.repository} (docs/how-to/kubernetes.md):",
        f"#   docker build --target {image.target} -t REGISTRY/{image.repository}:{tag} . && "
        f"docker push REGISTRY/{image.repository}:{tag}",
    ]
    if converted.host_paths:
        lines.append(
            "# Left out of env, the chart mounts its own folders there: " + ", ".join(converted.host_paths)
        )
    if converted.mounts:
        lines.append(
            "# Mount what the tasks read and write with extraVolumes and extraVolumeMounts: "
            + ", ".join(converted.mounts)
        )
    lines += [f"# WARNING: {warning}" for warning in converted.warnings]
    return "\n".join(lines) + "\n" + json.dumps(converted.values, indent=2, ensure_ascii=False) + "\n"
