"""Real database servers for the tests: Debian's PostgreSQL and MariaDB started on free ports on
127.0.0.1 with their own data folders (not under pytest's basetemp: that is mode 700 root, and the
servers run as their own users), stopped and removed by `stop()`. The image tests and the integration
tests share them; `scripts/test.sh` and `scripts/images/test.sh` install the packages."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .images.util import free_port, wait_for_port

PG_PASSWORD = "pg-s3cret"
MARIADB_PASSWORD = "db-s3cret"


def pg_bin(name: str, major: int | None = None) -> str:
    """A PostgreSQL server program: of `major`, else of the newest major installed."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if major is not None:
        found = [path for path in found if path.split("/")[4] == str(major)]
    if not found:
        pytest.fail("PostgreSQL server not installed (scripts/test.sh installs Debian's postgresql)")
    return found[-1]


class _Server:
    """A database server the tests started: its client runs statements; stop() ends it."""

    proc: subprocess.Popen[bytes]
    base: Path

    @staticmethod
    def _client(args: list[str], statements: str) -> str:
        proc = subprocess.run(
            args, input=statements, capture_output=True, text=True, timeout=300, check=False
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)


class MariaDB(_Server):
    """A MariaDB server with root by socket and `backup`@`%` (MARIADB_PASSWORD, all privileges)."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = base or Path(tempfile.mkdtemp(prefix="dct-mariadb-"))
        self.port = free_port()
        self.socket = self.base / "mysqld.sock"
        data = self.base / "data"
        shutil.chown(self.base, "mysql", "mysql")
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=mysql",
             "--auth-root-authentication-method=socket", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={data}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--pid-file={self.base}/mysqld.pid",
             "--user=mysql", "--skip-log-bin"],
            stdout=(self.base / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, 60)
        self.sql(
            f"CREATE USER 'backup'@'%' IDENTIFIED BY '{MARIADB_PASSWORD}'; "
            "GRANT ALL ON *.* TO 'backup'@'%' WITH GRANT OPTION;"
        )

    def sql(self, statements: str, database: str = "") -> str:
        return self._client(
            ["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B",
             *([database] if database else [])],
            statements,
        )  # fmt: skip


class Postgres(_Server):
    """A PostgreSQL server: `postgres` with PG_PASSWORD over TCP (scram-sha-256), trust on its socket."""

    def __init__(self, base: Path | None = None, major: int | None = None) -> None:
        self.base = base or Path(tempfile.mkdtemp(prefix="dct-postgres-"))
        self.major = major
        self.port = free_port()
        self.data = self.base / "data"
        postgres = pwd.getpwnam("postgres")
        os.chown(self.base, postgres.pw_uid, postgres.pw_gid)
        pwfile = self.base / "pw"
        pwfile.write_text(PG_PASSWORD + "\n")
        os.chown(pwfile, postgres.pw_uid, postgres.pw_gid)
        subprocess.run(
            ["runuser", "-u", "postgres", "--", pg_bin("initdb", major), "-D", str(self.data), "-U",
             "postgres", "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}", "-E",
             "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", pg_bin("postgres", major), "-D", str(self.data), "-p",
             str(self.port), "-k", str(self.base), "-c", "listen_addresses=127.0.0.1"],
            stdout=(self.base / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, 60)
        time.sleep(0.5)

    def sql(self, statements: str, database: str = "postgres") -> str:
        return self._client(
            ["runuser", "-u", "postgres", "--", pg_bin("psql", self.major), "-h", str(self.base), "-p",
             str(self.port), "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-X"],
            statements,
        )  # fmt: skip
