"""The chart's tests: a real helm binary renders charts/duplicity-cron (scripts/test.sh installs it and
sets HELM); the manifests are checked against Kubernetes' JSON schemas and read back as YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "duplicity-cron"
EXAMPLES = ROOT / "examples" / "kubernetes"
COMMAND = str(Path(sys.executable).parent / "duplicity-cron")


def helm_binary() -> str:
    found = os.environ.get("HELM") or shutil.which("helm")
    if not found:
        pytest.fail("no helm binary: run scripts/test.sh (it installs helm) or set HELM=/path/to/helm")
    return found


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([helm_binary(), *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def render_text(values_files: Sequence[Path] = (), sets: Sequence[str] = (), release: str = "backup") -> str:
    args = ["template", release, str(CHART)]
    for path in values_files:
        args += ["-f", str(path)]
    for each in sets:
        args += ["--set", each]
    return helm(*args).stdout


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture
def render() -> Callable[..., list[dict[str, Any]]]:
    def run(*values_files: Path, sets: Sequence[str] = ()) -> list[dict[str, Any]]:
        return documents(render_text(values_files, sets))

    return run


def of_kind(docs: Sequence[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def pod_specs(docs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The pod spec of every workload: CronJobs' job templates and Deployments."""
    specs = []
    for doc in docs:
        if doc["kind"] == "CronJob":
            specs.append(doc["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        elif doc["kind"] == "Deployment":
            specs.append(doc["spec"]["template"]["spec"])
    return specs
