"""Database servers of several Debian releases in containers, for the version matrix
(test_database_versions.py): each image is built from that release's packages
(scripts/images/database-server) on a base made like the project's (setup-podman.sh), once, and kept in
the image store under a tag that names its recipe, so a later session reuses it."""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass

from .util import REPO, Engine, EngineError, free_port, wait_for_port

RECIPE = REPO / "scripts" / "images" / "database-server"
REPOSITORY = "localhost/duplicity-cron-db-server"
PASSWORD = "matrix-s3cret"


@dataclass(frozen=True)
class ServerSpec:
    engine: str  # postgresql | mariadb | mysql
    version: str  # the major the release packages: 13, 18, 10.11, ...
    suite: str  # the Debian release
    packages: str

    @property
    def id(self) -> str:
        return f"{self.engine}-{self.version}"

    @property
    def user(self) -> str:
        return "postgres" if self.engine == "postgresql" else "mysql"


def _base(engine: Engine, suite: str) -> str:
    """debian:<suite>-slim, pulled or made by setup-podman.sh (idempotent: about a second when present)."""
    script = REPO / "scripts" / "images" / "setup-podman.sh"
    env = {**engine.env, "DUPLICITY_CRON_BASE_SUITE": suite}
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=1200)
    if proc.returncode != 0:
        raise EngineError(f"making the {suite} base failed:\n{proc.stderr[-3000:]}")
    return f"docker.io/library/debian:{suite}-slim"


def server_image(engine: Engine, spec: ServerSpec) -> str:
    """The server's image: the one in the store when its recipe is unchanged, else built now."""
    recipe = hashlib.sha256()
    for path in sorted(RECIPE.iterdir()):
        recipe.update(path.name.encode() + b"\0" + path.read_bytes())
    recipe.update(f"{spec.suite} {spec.packages}".encode())
    tag = f"{REPOSITORY}:{spec.id}-{recipe.hexdigest()[:12]}"
    if engine.cmd("image", "inspect", tag, check=False).returncode == 0:
        return tag
    base = _base(engine, spec.suite)
    started = time.monotonic()
    pull = ["--pull=never"] if engine.name == "podman" else ["--pull=false"]
    engine.cmd(
        "build", *pull, "--build-arg", f"DEBIAN_IMAGE={base}", "--build-arg", f"PACKAGES={spec.packages}",
        "-t", tag, str(RECIPE), timeout=1200,
    )  # fmt: skip
    engine.build_seconds[f"server {spec.id}"] = time.monotonic() - started
    return tag


class ServerContainer:
    """A server container on a free port of the host's network; `sql` runs statements in it with the
    server's own client; `stop` removes it."""

    def __init__(self, engine: Engine, spec: ServerSpec, name: str) -> None:
        self.engine, self.spec, self.name = engine, spec, name
        self.port = free_port()
        image = server_image(engine, spec)
        engine.cmd(
            "run", "-d", "--name", name, "--network", "host", "--user", spec.user, image,
            str(self.port), PASSWORD,
        )  # fmt: skip
        try:
            wait_for_port(self.port, 120)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            probe = self.sql_proc("SELECT 1;", self.maintenance)
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                logs = self.engine.cmd("logs", self.name, check=False)
                raise EngineError(f"{self.spec.id} not ready: {probe.stderr}\n{logs.stdout}{logs.stderr}")
            time.sleep(0.5)

    @property
    def maintenance(self) -> str:
        return "postgres" if self.spec.engine == "postgresql" else ""

    def _client(self, database: str) -> list[str]:
        if self.spec.engine == "postgresql":
            return ["psql", "-h", "/tmp", "-p", str(self.port), "-U", "postgres", "-d", database,
                    "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-X"]  # fmt: skip
        client = "mysql" if self.spec.engine == "mysql" else "mariadb"  # MySQL's root: no password
        return [client, "--no-defaults", "--socket=/tmp/mysqld.sock", "-uroot", "-N", "-B",
                *([database] if database else [])]  # fmt: skip

    def sql_proc(self, statements: str, database: str = "") -> subprocess.CompletedProcess[str]:
        # as root in the container: MariaDB's root logs in by socket as the OS user root
        user = "postgres" if self.spec.engine == "postgresql" else "root"
        return self.engine.cmd(
            "exec", "-i", "--user", user, self.name, *self._client(database), input=statements, check=False,
            timeout=300,
        )  # fmt: skip

    def sql(self, statements: str, database: str = "") -> str:
        proc = self.sql_proc(statements, database or self.maintenance)
        if proc.returncode != 0:
            raise EngineError(f"{self.spec.id}: {proc.stderr[-2000:]}")
        return proc.stdout

    def stop(self) -> None:
        quick = ["-t", "0"] if self.engine.name == "podman" else []
        self.engine.cmd("rm", "-f", *quick, self.name, check=False, timeout=60)
