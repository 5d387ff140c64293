"""The mysql image against Debian unstable's MySQL server (9.7, in a container of the version matrix,
tests/images/database_servers.py; one for the module):
the built-in dump of DATABASE_URL `mysql://` backs up users (caching_sha2_password), a role, grants,
a routine, an event, a trigger, a view, utf8mb4 text and binary data; a drill loads it into scratch
databases on the same server and runs VERIFY_SQL read-only; `restore --to-url` loads it into a fresh,
empty server, where every table's checksum and every object are the source's, and the user logs in
with its password; a database written under GTIDs is backed up and restored with --drop into the same
server."""

from __future__ import annotations

import uuid

import pytest

from .database_servers import PASSWORD, ServerContainer, ServerSpec
from .util import PASSPHRASE, open_dir

MYSQL = ServerSpec("mysql", "9.7", "sid", "mysql-server")
ROWS = 2000

DATA = f"""
SET NAMES utf8mb4;  -- the server container has no locale: its client would say latin1
CREATE ROLE readers;
CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY 'app-pw' DEFAULT ROLE readers;
CREATE DATABASE shop;
GRANT SELECT ON shop.* TO readers;
GRANT readers TO 'app'@'%';
USE shop;
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL, price DECIMAL(10,2),
  data LONGBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT) ENGINE=InnoDB;
GRANT INSERT, UPDATE ON shop.items TO 'app'@'%';
CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item) VALUES (NEW.id);
SET SESSION cte_max_recursion_depth = {ROWS};
INSERT INTO items (name, price, data) WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s
  WHERE n < {ROWS}) SELECT CONCAT('item ', n, ' ''quoted'' ü€', IF(n % 7 = 0, '\\nnew\\tline\\\\', '')),
  n * 1.25, UNHEX(SHA2(n, 256)) FROM s;
CREATE VIEW dear AS SELECT id, name FROM items WHERE price > 1000;
CREATE PROCEDURE cheap() SELECT id FROM items WHERE price < 10;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0;
CREATE DATABASE wiki;
CREATE TABLE wiki.pages (id BIGINT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO wiki.pages SELECT id, REPEAT(CONCAT('lorem ipsum ', id), 20) FROM shop.items;
"""
# every object the dump must carry back, every table's checksum, the text's bytes, the users and grants
STATE = """SET NAMES utf8mb4;
SELECT CONCAT('object ', table_schema, '.', table_name, ' ', table_type)
  FROM information_schema.tables WHERE table_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('routine ', routine_schema, '.', routine_name) FROM information_schema.routines
  WHERE routine_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('trigger ', trigger_schema, '.', trigger_name, ' ', action_statement)
  FROM information_schema.triggers WHERE trigger_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('event ', event_schema, '.', event_name, ' ', status) FROM information_schema.events
UNION ALL SELECT CONCAT('user ', user, '@', host, ' ', plugin, ' ', HEX(authentication_string), ' ',
  account_locked) FROM mysql.user WHERE user IN ('app', 'readers')
UNION ALL SELECT CONCAT('default role ', user, ' ', default_role_user) FROM mysql.default_roles
UNION ALL SELECT CONCAT('role ', from_user, ' to ', to_user) FROM mysql.role_edges
UNION ALL SELECT CONCAT('text ', HEX(name)) FROM shop.items WHERE id = 7
ORDER BY 1;
SHOW GRANTS FOR 'app'@'%';
SHOW GRANTS FOR 'readers'@'%';
CHECKSUM TABLE shop.items, shop.audit, wiki.pages EXTENDED;
"""


@pytest.fixture(scope="module")
def mysql(engine):
    server = ServerContainer(engine, MYSQL, f"dct-mysql-source-{uuid.uuid4().hex[:10]}")
    try:
        server.sql(DATA)
        yield server
    finally:
        server.stop()


def _env(server: ServerContainer, **more: str) -> dict[str, str]:
    return {
        "PASSPHRASE": PASSPHRASE,
        "TASK_db_DATABASE_URL": f"mysql://backup@127.0.0.1:{server.port}/",
        "TASK_db_DATABASE_PASSWORD": PASSWORD,
        "TASK_db_TARGET": "file:///backups/db",
        **more,
    }


def test_a_mysql_server_is_backed_up_drilled_and_restored_into_an_empty_server(
    engine, mysql, containers, tmp_path
):
    image = engine.image("mysql")
    before = mysql.sql(STATE)
    assert "C3BCE282AC" in before  # ü€ in utf8mb4
    backups = open_dir(tmp_path / "backups")
    volumes = [f"{backups}:/backups"]
    env = _env(mysql, TASK_db_VERIFY_SQL="shop: SELECT COUNT(*) = 2000 FROM items WHERE name LIKE '%ü€%'")
    backup = engine.run(image, "exec", "db", env=env, volumes=volumes, network="host", timeout=300)
    output = backup.stdout + backup.stderr
    assert backup.returncode == 0, output[-4000:]
    assert "dumped database shop" in output and "dumped database wiki" in output, output[-4000:]
    assert PASSWORD not in output

    drill = engine.run(image, "verify", "db", env=env, volumes=volumes, network="host", timeout=300)
    output = drill.stdout + drill.stderr
    assert drill.returncode == 0, output[-4000:]
    assert "every table's rows as its manifest counted" in output, output[-4000:]
    assert "VERIFY_SQL" in output and "true on the scratch copy of shop" in output, output[-4000:]
    assert "dcv_" not in mysql.sql("SHOW DATABASES;")  # the scratch databases dropped

    writes = _env(mysql, TASK_db_VERIFY_SQL="shop: DELETE FROM items")
    refused = engine.run(image, "verify", "db", env=writes, volumes=volumes, network="host", timeout=300)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output[-4000:]
    assert "READ ONLY transaction" in output, output[-4000:]
    assert "dcv_" not in mysql.sql("SHOW DATABASES;")

    fresh = ServerContainer(engine, MYSQL, containers("dct-mysql-empty"))
    try:
        to_url = f"mysql://backup@127.0.0.1:{fresh.port}/"
        jobs = {**env, "CONF_RESTORE_JOBS": "3"}  # MySQL's load: one client whatever it says
        restore = engine.run(
            image, "restore", "db", "--to-url", to_url, env=jobs, volumes=volumes, network="host", timeout=300
        )
        output = restore.stdout + restore.stderr
        assert restore.returncode == 0, output[-4000:]
        assert "on 3 connections" not in output, output[-4000:]
        assert "kept as they are (they exist): 'backup'@'%', 'root'@'localhost'" in output, output[-4000:]
        assert PASSWORD not in output
        assert fresh.sql(STATE) == before
        # the user logs in on the new server with its password (caching_sha2_password) and its role
        login = engine.cmd(
            "exec", fresh.name, "mysql", "--no-defaults", "--socket=/tmp/mysqld.sock", "-uapp", "-papp-pw",
            "-N", "-B", "-e", "SELECT CURRENT_USER(), CURRENT_ROLE(), COUNT(*) FROM shop.items", check=False,
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
        assert login.stdout.split("\t") == ["app@%", "`readers`@`%`", f"{ROWS}\n"]
    finally:
        fresh.stop()


# MySQL 9.7 runs with gtid_mode=ON by default, but the test server has no binary log (--skip-log-bin),
# where the server's own transactions get no GTID; a transaction under an explicit GTID_NEXT (as a
# replica applies its source's) is recorded in gtid_executed as on a server with the binary log.
LEDGER_ROWS = 50
LEDGER = "CREATE DATABASE ledger;\n" + "".join(
    f"SET SESSION gtid_next = CONCAT(@@server_uuid, ':{n}');\n"
    + (
        "CREATE TABLE ledger.entries (id INT PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB;\n"
        if n == 1
        else f"INSERT INTO ledger.entries VALUES ({n}, {n} * 2.5);\n"
    )
    + "SET SESSION gtid_next = 'AUTOMATIC';\n"
    for n in range(1, LEDGER_ROWS + 2)
)
LEDGER_STATE = "SELECT COUNT(*) FROM ledger.entries; CHECKSUM TABLE ledger.entries EXTENDED;"


def test_a_dump_of_a_server_with_gtids_restores_into_the_same_server(engine, mysql, tmp_path):
    """mysqldump's default would write `SET @@GLOBAL.GTID_PURGED='+<the server's GTIDs>'`, which the
    same server (or any that has executed them) refuses: the dump has none (`--set-gtid-purged=OFF`)."""
    image = engine.image("mysql")
    try:
        mysql.sql(LEDGER)
        gtids = f"CONCAT(@@server_uuid, ':1-{LEDGER_ROWS + 1}')"  # every transaction of LEDGER has its GTID
        executed = mysql.sql(f"SELECT @@gtid_mode, GTID_SUBSET({gtids}, @@gtid_executed);")
        assert executed == "ON\t1\n", executed
        before = mysql.sql(LEDGER_STATE)
        assert before.startswith(f"{LEDGER_ROWS}\n"), before
        backups = open_dir(tmp_path / "backups")
        volumes = [f"{backups}:/backups"]
        env = _env(mysql, TASK_db_DATABASES="ledger")
        backup = engine.run(image, "exec", "db", env=env, volumes=volumes, network="host", timeout=300)
        output = backup.stdout + backup.stderr
        assert backup.returncode == 0, output[-4000:]
        assert "dumped database ledger" in output, output[-4000:]

        mysql.sql("DELETE FROM ledger.entries WHERE id > 10;")  # the restore must bring them back
        restore = engine.run(
            image, "restore", "db", "--drop", env=env, volumes=volumes, network="host", timeout=300
        )
        output = restore.stdout + restore.stderr
        assert restore.returncode == 0, output[-4000:]
        assert mysql.sql(LEDGER_STATE) == before
    finally:
        mysql.sql("DROP DATABASE IF EXISTS ledger;")


def test_the_mysql_image_has_mysqls_own_client(engine):
    proc = engine.run(
        engine.image("mysql"),
        "-c",
        "mysqldump --version && mysql --version && zstd --version",
        entrypoint="bash",
    )
    assert proc.returncode == 0, proc.stderr
    assert "mysqldump  Ver 9." in proc.stdout and "MariaDB" not in proc.stdout, proc.stdout
