"""The mariadb and postgres images against real Debian servers started here (own data folders, free
ports on 127.0.0.1, torn down after): a task dumps a database that holds data and backs the dump up
with duplicity; a restore task restores it and loads it into a fresh database; the rows match."""

from __future__ import annotations

import hashlib

import pytest

from ..database_servers import MariaDB, Postgres
from .util import DUP_OPTS, PASSPHRASE, open_dir

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


@pytest.fixture(scope="module")
def mariadb():
    # not under pytest's basetemp: that is mode 700 root, and the server runs as mysql
    server = MariaDB()
    server.sql("CREATE DATABASE shop;")
    server.sql(_rows_sql("mariadb"), "shop")
    yield server
    server.stop()


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


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    server.sql("CREATE DATABASE shop;")
    server.sql(_rows_sql("postgres"), "shop")
    yield server
    server.stop()


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
            # the image's client is PostgreSQL 18; into an older server (Debian 12's 15
            # here) its `SET transaction_timeout` line must go (docs/how-to/images.md)
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
