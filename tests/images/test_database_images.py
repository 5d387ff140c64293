"""The mariadb and postgres images against real Debian servers started here (own data folders, free
ports on 127.0.0.1, torn down after): a task dumps a database that holds data and backs the dump up
with duplicity; a restore task restores it and loads it into a fresh database; the rows match."""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .util import DUP_OPTS, PASSPHRASE, free_port, open_dir, wait_for_port

DUP = " ".join(DUP_OPTS)
ROWS = 3000


def _rows_sql(dialect: str) -> str:
    values = ",\n".join(
        f"({i}, 'name {i} ''quoted'' é', {i * 7 % 1000}.{i % 100:02d}, "
        + (
            f"UNHEX(SHA2('{i}', 256))"
            if dialect == "mariadb"
            else f"decode(md5('{i}') || md5('{i}x'), 'hex')"
        )
        + ")"
        for i in range(1, ROWS + 1)
    )
    blob = "LONGBLOB" if dialect == "mariadb" else "BYTEA"
    return (
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(10,2), "
        f"data {blob});\n"
        f"INSERT INTO items VALUES\n{values};\n"
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- MariaDB ----------------------------------------------------------------------------------


class _Server:
    """A database server the tests started: its client runs statements; stop() ends it."""

    proc: subprocess.Popen

    @staticmethod
    def _client(args: list[str], statements: str) -> str:
        proc = subprocess.run(
            args, input=statements, capture_output=True, text=True, timeout=120, check=False
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


class MariaDB(_Server):
    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.socket = base / "mysqld.sock"
        data = base / "data"
        shutil.chown(base, "mysql", "mysql")
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data}",
                "--user=mysql",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.proc = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.socket}",
                f"--pid-file={base}/mysqld.pid",
                "--user=mysql",
                "--skip-log-bin",
            ],
            stdout=(base / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, 60)
        self.sql("CREATE USER 'backup'@'%' IDENTIFIED BY 'db-s3cret'; GRANT ALL ON *.* TO 'backup'@'%';")

    def sql(self, statements: str, database: str = "") -> str:
        return self._client(
            [
                "mariadb",
                "--no-defaults",
                "-uroot",
                f"--socket={self.socket}",
                "-N",
                "-B",
                *([database] if database else []),
            ],
            statements,
        )


@pytest.fixture(scope="module")
def mariadb():
    # not under pytest's basetemp: that is mode 700 root, and the server runs as mysql
    base = Path(tempfile.mkdtemp(prefix="dct-mariadb-"))
    server = MariaDB(base)
    server.sql("CREATE DATABASE shop;")
    server.sql(_rows_sql("mariadb"), "shop")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _mariadb_rows(server: MariaDB, database: str) -> str:
    return server.sql("SELECT id, name, price, HEX(data) FROM items ORDER BY id;", database)


def test_mariadb_image_dumps_backs_up_restores_and_loads(engine, mariadb, tmp_path):
    image = engine.image("mariadb")
    backups = open_dir(tmp_path / "backups")
    conn = f'--host=127.0.0.1 --port={mariadb.port} --user=backup --password="$DB_PASSWORD" --skip-ssl'
    env = {
        "PASSPHRASE": PASSPHRASE,
        "DB_PASSWORD": "db-s3cret",
        "CONF_LOG_FORMAT": "json",
        "TASK_db_CRONTAB": "0 3 * * *",
        "TASK_db_EXTRACT": f'mariadb-dump {conn} --single-transaction shop > "$SRC/shop.sql"',
        "TASK_db_LOAD": f'duplicity full {DUP} "$SRC" file:///backups/db',
        "TASK_dbrestore_RESTORE": "10",
        "TASK_dbrestore_EXTRACT": f'duplicity restore {DUP} file:///backups/db "$DST/restored"',
        "TASK_dbrestore_LOAD": (
            f"mariadb {conn} -e 'DROP DATABASE IF EXISTS shop_restored; CREATE DATABASE shop_restored' "
            f'&& mariadb {conn} shop_restored < "$DST/restored/shop.sql"'
        ),
    }
    backup = engine.run(image, "exec", "db", env=env, volumes=[f"{backups}:/backups"], network="host")
    assert backup.returncode == 0, backup.stdout[-4000:] + backup.stderr[-2000:]
    assert "db-s3cret" not in backup.stdout + backup.stderr  # the runner masks secrets in its log
    assert any(p.name.endswith(".difftar.gpg") for p in (backups / "db").iterdir())

    restore = engine.run(image, "restore", env=env, volumes=[f"{backups}:/backups"], network="host")
    assert restore.returncode == 0, restore.stdout[-4000:] + restore.stderr[-2000:]
    original = _mariadb_rows(mariadb, "shop")
    assert len(original.splitlines()) == ROWS
    assert _digest(_mariadb_rows(mariadb, "shop_restored")) == _digest(original)


def test_mariadb_image_has_the_client_tools(engine):
    proc = engine.run(
        engine.image("mariadb"),
        "-c",
        "mariadb --version && mariadb-dump --version && mysqldump --version",
        entrypoint="bash",
    )
    assert proc.returncode == 0, proc.stderr


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL server not installed (scripts/images/test.sh installs Debian's postgresql)")
    return found[-1]


class Postgres(_Server):
    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.data = base / "data"
        postgres = pwd.getpwnam("postgres")
        os.chown(base, postgres.pw_uid, postgres.pw_gid)
        pwfile = base / "pw"
        pwfile.write_text("pg-s3cret\n")
        os.chown(pwfile, postgres.pw_uid, postgres.pw_gid)
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                _pg_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.proc = subprocess.Popen(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                _pg_bin("postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(base),
                "-c",
                "listen_addresses=127.0.0.1",
            ],
            stdout=(base / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, 60)
        time.sleep(0.5)

    def sql(self, statements: str, database: str = "postgres") -> str:
        return self._client(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                _pg_bin("psql"),
                "-h",
                str(self.base),
                "-p",
                str(self.port),
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-A",
                "-t",
            ],
            statements,
        )


@pytest.fixture(scope="module")
def postgres():
    base = Path(tempfile.mkdtemp(prefix="dct-postgres-"))
    server = Postgres(base)
    server.sql("CREATE DATABASE shop;")
    server.sql(_rows_sql("postgres"), "shop")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _pg_rows(server: Postgres, database: str) -> str:
    return server.sql("SELECT id, name, price, encode(data, 'hex') FROM items ORDER BY id;", database)


def test_postgres_image_dumps_backs_up_restores_and_loads(engine, postgres, tmp_path):
    image = engine.image("postgres")
    backups = open_dir(tmp_path / "backups")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "PGHOST": "127.0.0.1",
        "PGPORT": str(postgres.port),
        "PGUSER": "postgres",
        "PGPASSWORD": "pg-s3cret",
        "CONF_LOG_FORMAT": "json",
        "TASK_pg_CRONTAB": "0 3 * * *",
        "TASK_pg_EXTRACT": (
            'pg_dump -Fc -d shop -f "$SRC/shop.dump" && pg_dumpall --globals-only > "$SRC/globals.sql"'
        ),
        "TASK_pg_LOAD": f'duplicity full {DUP} "$SRC" file:///backups/pg',
        "TASK_pgrestore_RESTORE": "10",
        "TASK_pgrestore_EXTRACT": f'duplicity restore {DUP} file:///backups/pg "$DST/restored"',
        "TASK_pgrestore_LOAD": (
            "psql -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS shop_restored' "
            "-c 'CREATE DATABASE shop_restored' "
            # the image's client is PostgreSQL 17; into an older server (Debian 12's 15
            # here) its `SET transaction_timeout` line must go (README, "Database and docker images")
            "&& pg_restore -f - \"$DST/restored/shop.dump\" | sed '/^SET transaction_timeout/d' "
            "| psql -v ON_ERROR_STOP=1 -q -d shop_restored"
        ),
    }
    backup = engine.run(image, "exec", "pg", env=env, volumes=[f"{backups}:/backups"], network="host")
    assert backup.returncode == 0, backup.stdout[-4000:] + backup.stderr[-2000:]
    assert any(p.name.endswith(".difftar.gpg") for p in (backups / "pg").iterdir())

    restore = engine.run(image, "restore", env=env, volumes=[f"{backups}:/backups"], network="host")
    assert restore.returncode == 0, restore.stdout[-4000:] + restore.stderr[-2000:]
    original = _pg_rows(postgres, "shop")
    assert len(original.splitlines()) == ROWS
    assert _digest(_pg_rows(postgres, "shop_restored")) == _digest(original)


def test_postgres_image_has_the_client_tools(engine):
    proc = engine.run(
        engine.image("postgres"),
        "-c",
        "psql --version && pg_dump --version && pg_dumpall --version && pg_restore --version",
        entrypoint="bash",
    )
    assert proc.returncode == 0, proc.stderr
