"""examples/compose-postgres and examples/compose-mariadb, started as a user starts them (podman-compose
here, docker compose where a Docker engine answers): the example's own file, with an override that
replaces only its db service's image by a server built from Debian's packages of the same major
(tests/images/database_servers.py; no registry answers here, so the official image cannot be pulled).
Rows are put into the server, `exec TASK` backs them up, they are changed and dropped,
`restore TASK --drop` brings them back row for row, `verify TASK` (a drill) passes, and after
`down -v` (every volume lost, the backups kept) `restore TASK` loads them into the new, empty server."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .database_servers import ServerSpec, server_image
from .test_examples import _compose_cmd, passphrase_file
from .util import REPO, open_dir

PASSWORD = "compose-s3cret-pw"


@dataclass(frozen=True)
class Example:
    folder: str
    task: str
    target: str  # the Dockerfile target of the backup image
    server: ServerSpec  # the major of the example's db image
    port: int
    serve_env: dict[str, str]  # what makes the server stand in for the official image
    fill: str  # SQL that makes the tables and rows, in database app

    def client(self) -> tuple[str, list[str]]:
        """The user to exec as in the db container and the client's command line, into database app."""
        if self.server.engine == "postgresql":
            return "postgres", ["psql", "-h", "/tmp", "-p", str(self.port), "-U", "postgres", "-d", "app",
                                "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-X"]  # fmt: skip
        # MariaDB's root logs in by socket as the OS user root
        return "root", ["mariadb", "--no-defaults", "--socket=/tmp/mysqld.sock", "-uroot", "-N", "-B", "app"]


PG_FILL = """
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text);
INSERT INTO customers SELECT g, 'customer ' || g || ' ''quoted'' é ☃', 'c' || g || '@example.org'
  FROM generate_series(1, 300) g;
CREATE TABLE orders (id serial PRIMARY KEY, customer int REFERENCES customers, total numeric(10,2),
  placed date);
INSERT INTO orders (customer, total, placed)
  SELECT 1 + g % 300, g * 0.75, date '2025-01-01' + g % 365 FROM generate_series(1, 800) g;
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
INSERT INTO notes SELECT g, repeat(md5(g::text), 3) || E'\\nsecond line\\t' || g
  FROM generate_series(1, 500) g;
"""
MY_FILL = """
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(100))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO customers
  SELECT seq, CONCAT('customer ', seq, ' ''quoted'' é ☃'), CONCAT('c', seq, '@example.org') FROM seq_1_to_300;
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, total DECIMAL(10,2), placed DATE,
  FOREIGN KEY (customer) REFERENCES customers (id)) ENGINE=InnoDB;
INSERT INTO orders (customer, total, placed)
  SELECT 1 + seq % 300, seq * 0.75, DATE '2025-01-01' + INTERVAL seq % 365 DAY FROM seq_1_to_800;
CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO notes SELECT seq, CONCAT(REPEAT(MD5(seq), 3), '\\nsecond line\\t', seq) FROM seq_1_to_500;
"""
CHANGE = """
UPDATE customers SET name = 'changed' WHERE id % 3 = 0;
DELETE FROM orders WHERE id > 100;
DROP TABLE notes;
"""
TABLES = ("customers", "orders", "notes")

EXAMPLES = [
    Example("compose-postgres", "pg", "postgres", ServerSpec("postgresql", "18", "sid", "postgresql-18"),
            5432, {"SERVE_LISTEN": "*", "SERVE_DATABASE": "app"}, PG_FILL),
    Example("compose-mariadb", "db", "mariadb", ServerSpec("mariadb", "11.8", "trixie", "mariadb-server"),
            3306, {"SERVE_LISTEN": "*", "SERVE_DATABASE": "app", "SERVE_USER": "root"}, MY_FILL),
]  # fmt: skip


class ComposeProject:
    """The example's compose file and the override, as one project; `run` is `compose ARGS`."""

    def __init__(self, engine, example: Example, tmp_path: Path) -> None:
        self.example = example
        compose_file = REPO / "examples" / example.folder / "compose.yaml"
        shipped = yaml.safe_load(compose_file.read_text())
        assert shipped["services"]["db"]["image"].split(":")[1] == example.server.version, (
            "the test's server is not the example's db major"
        )
        # the example names its image (duplicity-postgres:local, ...) and builds it when missing: give
        # it the image this session built from the same Dockerfile target
        engine.cmd("tag", engine.image(example.target), f"localhost/{shipped['services']['backup']['image']}")
        override = tmp_path / "override.yaml"
        db = {
            "image": server_image(engine, example.server),
            "user": example.server.user,
            "command": [str(example.port), PASSWORD],
            "environment": example.serve_env,
        }
        override.write_text(yaml.safe_dump({"services": {"db": db}}))
        secret = tmp_path / "db_password"
        secret.write_text(PASSWORD)  # as `printf '%s' ... > db_password`
        secret.chmod(0o644)
        self.backups = open_dir(tmp_path / "backups")
        passphrase = passphrase_file(tmp_path)
        self.env = {
            **engine.env,
            "PASSPHRASE_FILE": str(passphrase),
            "DB_PASSWORD_FILE": str(secret),
            "BACKUP_TARGET": str(self.backups),
        }
        project = f"dctdb{example.task}{os.getpid()}"
        self.compose = [*_compose_cmd(engine), "-p", project, "-f", str(compose_file), "-f", str(override)]

    def run(self, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.compose, *args], capture_output=True, text=True, env=self.env, input=input,
            timeout=timeout, check=False,
        )  # fmt: skip

    def sql_proc(self, statements: str) -> subprocess.CompletedProcess[str]:
        user, client = self.example.client()
        return self.run("exec", "-T", "--user", user, "db", *client, input=statements)

    def sql(self, statements: str) -> str:
        proc = self.sql_proc(statements)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        return proc.stdout

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while (probe := self.sql_proc("SELECT 1;")).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"the db service did not answer:\n{probe.stderr[-2000:]}\n{self.logs()}")
            time.sleep(1)

    def rows(self) -> dict[str, str]:
        """Every row of every table, in order, as the client prints them ('' for a table not there)."""
        rows = {}
        for table in TABLES:
            proc = self.sql_proc(f"SELECT * FROM {table} ORDER BY id;")
            rows[table] = proc.stdout if proc.returncode == 0 else ""
        return rows

    def duplicity_cron(self, *args: str) -> str:
        proc = self.run("exec", "-T", "backup", "duplicity-cron", *args)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}:\n{output[-4000:]}"
        assert PASSWORD not in output
        return output

    def logs(self) -> str:
        logs = self.run("logs", timeout=120)
        return (logs.stdout + logs.stderr)[-4000:]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.folder for e in EXAMPLES])
def test_database_example_backs_up_restores_and_drills(engine, example, tmp_path):
    project = ComposeProject(engine, example, tmp_path)
    try:
        up = project.run("up", "-d")
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        project.wait_ready()
        project.sql(example.fill)
        before = project.rows()
        counts = project.sql(" ".join(f"SELECT count(*) FROM {table};" for table in TABLES))
        assert counts.split() == ["300", "800", "500"]

        backup = project.duplicity_cron("exec", example.task)
        volumes = [p.name for p in (project.backups / example.task).iterdir()]
        assert any(name.endswith(".difftar.gpg") for name in volumes), backup[-4000:]

        project.sql(CHANGE)
        changed = project.rows()
        assert changed["notes"] == "" and changed != before

        restore = project.duplicity_cron("restore", example.task, "--drop")
        assert "restored the databases into" in restore, restore[-4000:]
        after = project.rows()
        for table in TABLES:
            assert after[table] == before[table], f"{table} differs after the restore"

        drill = project.duplicity_cron("verify", example.task)
        assert "every table's rows as its manifest counted" in drill, drill[-4000:]

        # every volume lost (the server's, the cache, the state), the backups kept: a new server's
        # databases hold nothing, and `restore TASK` loads into it without --drop
        down = project.run("down", "-v", timeout=180)
        assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
        up = project.run("up", "-d")
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        project.wait_ready()
        assert project.rows() == dict.fromkeys(TABLES, "")
        project.duplicity_cron("restore", example.task)
        assert project.rows() == before
    except BaseException:
        print(project.logs())
        raise
    finally:
        project.run("down", "-v", timeout=180)
