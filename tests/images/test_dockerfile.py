"""Static checks of the Dockerfile and the bake file: hadolint, targets, entrypoints, labels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .util import REPO, TARGETS


def _hadolint() -> str:
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(exe).exists():
        pytest.fail("hadolint not installed: pip install -r requirements/images-test.txt", pytrace=False)
    return exe


def test_hadolint_passes_on_the_dockerfile():
    proc = subprocess.run(
        [_hadolint(), "--config", str(REPO / ".hadolint.yaml"), str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_with_our_config_still_fails_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl && pip install requests\n")
    proc = subprocess.run(
        [_hadolint(), "--config", str(REPO / ".hadolint.yaml"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "DL3006" in proc.stdout and "DL3015" in proc.stdout


def test_dockerfile_has_the_six_targets_each_on_its_parent():
    text = (REPO / "Dockerfile").read_text()
    parents = {
        name: parent for parent, name in re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", text, flags=re.M | re.I)
    }
    assert set(TARGETS) <= set(parents), parents
    assert parents["cron"] == "duplicity"
    assert parents["mariadb"] == parents["mysql"] == parents["postgres"] == parents["docker"] == "cron"
    assert "PASSPHRASE" not in re.sub(r"#.*", "", text)


def _unquote(value):
    return value[1:-1] if isinstance(value, str) and value[:1] == value[-1:] == '"' else value


def test_bake_file_builds_the_five_images_for_two_platforms():
    """docker-bake.hcl parses as HCL2 (python-hcl2; no buildx here) and has the five targets,
    both platforms, the four tags and the OCI labels."""
    import hcl2  # a missing module fails the test (requirements/images-test.txt), it is not skipped

    with (REPO / "docker-bake.hcl").open() as handle:
        bake = hcl2.load(handle)
    targets = {_unquote(k): v for block in bake["target"] for k, v in block.items()}
    groups = {_unquote(k): v for block in bake["group"] for k, v in block.items()}
    assert sorted(map(_unquote, groups["default"]["targets"])) == sorted(TARGETS)
    assert list(map(_unquote, targets["_common"]["platforms"])) == ["linux/amd64", "linux/arm64"]
    published = {
        "duplicity": "duplicity",
        "cron": "duplicity-cron",
        "mariadb": "duplicity-mariadb",
        "mysql": "duplicity-mysql",
        "postgres": "duplicity-postgres",
        "docker": "duplicity-docker",
    }
    for target, name in published.items():
        block = targets[target]
        assert _unquote(block["target"]) == target
        assert list(map(_unquote, block["inherits"])) == ["_common"]
        assert block["tags"] == f'${{tags("{name}")}}'
        assert block["labels"].startswith(f'${{labels("{name}", ')
    functions = {_unquote(k): v for block in bake["function"] for k, v in block.items()}
    tags = functions["tags"]["result"]
    assert len(tags) == 4 and tags[-1].endswith(':latest"')
    labels = {_unquote(k) for k in functions["labels"]["result"]}
    assert labels == {
        f"org.opencontainers.image.{k}"
        for k in ("title", "description", "source", "revision", "version", "licenses")
    }


def test_image_metadata(engine):
    dup = engine.image("duplicity")
    assert json.loads(engine.inspect(dup, "{{json .Config.Entrypoint}}")) == ["duplicity"]
    assert engine.inspect(dup, "{{.Config.WorkingDir}}") == "/workdir"
    for target in ("cron", "mariadb", "mysql", "postgres", "docker"):
        image = engine.image(target)
        assert json.loads(engine.inspect(image, "{{json .Config.Entrypoint}}")) == [
            "tini",
            "--",
            "duplicity-cron",
        ]
        assert json.loads(engine.inspect(image, "{{json .Config.Cmd}}")) == ["run"]
        assert engine.inspect(image, "{{.Config.StopSignal}}") in ("SIGTERM", "15")
        assert engine.inspect(image, "{{.Config.WorkingDir}}") == "/workdir"
        health = json.loads(engine.inspect(image, "{{json .Config.Healthcheck}}"))
        assert health and health["Test"] == ["CMD", "duplicity-cron", "healthcheck"], health


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_every_pinned_python_package_has_a_wheel_for_both_platforms(arch, tmp_path):
    """The bake file builds linux/amd64 and linux/arm64 with `--only-binary=:all:` (no compiler in
    any stage): every pin must exist as a CPython 3.13 (Debian 13's Python) wheel for both; so must
    the runner's own dependencies (pyproject.toml: backports.zstd is compiled)."""
    runner = tmp_path / "runner.txt"
    runner.write_text(
        "\n".join(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    )
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(17, 42)] + [f"manylinux2014_{arch}"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            *[arg for platform in platforms for arg in ("--platform", platform)],
            "--python-version",
            "3.13",
            "--implementation",
            "cp",
            "-r",
            str(REPO / "requirements/duplicity.txt"),
            "-r",
            str(REPO / "requirements/backends.txt"),
            "-r",
            str(runner),
            "-d",
            str(tmp_path / "wheels"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pins = [
        line.split("==")[0]
        for name in ("duplicity.txt", "backends.txt")
        for line in (REPO / "requirements" / name).read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    pins += runner.read_text().splitlines()
    assert len(list((tmp_path / "wheels").glob("*.whl"))) == len(pins)


def _apt_packages() -> list[str]:
    """Every package the Dockerfile installs with apt-get."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for name, value in re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.M):  # the build args' defaults
        text = text.replace(f"${{{name}}}", value)
    packages = []
    for command in re.findall(r"apt-get install ([^&]*)", text):
        words = [word.strip('"').split("=")[0] for word in command.split() if not word.startswith("-")]
        packages += [word for word in words if word]
    return sorted(set(packages))


def test_every_apt_package_exists_for_arm64(engine):
    """linux/arm64 is built too: each Debian package of the Dockerfile has an arm64 candidate."""
    packages = _apt_packages()
    expected = {"python3", "gpg", "rclone", "tini", "mariadb-client", "postgresql-client-18", "docker-cli"}
    assert expected <= set(packages)
    # the postgres target's client comes from sid (pinned below trixie here: trixie's candidates win)
    sid = (
        "printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: sid\\nComponents: main\\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' "
        ">/etc/apt/sources.list.d/sid.sources && "
        "printf 'Package: *\\nPin: release n=sid\\nPin-Priority: 100\\n' >/etc/apt/preferences.d/sid && "
    )
    # Only arm64's lists (arch-all packages come with them), no translations: sid's and trixie's lists
    # for two architectures took 294 s on a loaded machine.
    arm64_only = "sed -i '/^Types:/a Architectures: arm64' /etc/apt/sources.list.d/*.sources && "
    script = (
        sid + arm64_only + "dpkg --add-architecture arm64 && "
        "apt-get -o Acquire::Languages=none update -qq >/dev/null && "
        "for p in " + " ".join(packages) + "; do "
        'c=$(apt-cache policy "$p:arm64" | sed -n "s/ *Candidate: //p"); '
        # Architecture: all packages (ca-certificates, tzdata, ...) serve every architecture
        'if [ -z "$c" ] || [ "$c" = "(none)" ]; then '
        'apt-cache show --no-all-versions "$p" 2>/dev/null | grep -q "^Architecture: all" && c=all; fi; '
        'echo "$p ${c:-none}"; done'
    )
    proc = engine.run("docker.io/library/debian:trixie-slim", "bash", "-c", script, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = dict(line.split(maxsplit=1) for line in proc.stdout.splitlines())
    assert set(found) == set(packages)
    assert [p for p, candidate in found.items() if candidate in ("none", "(none)")] == []
