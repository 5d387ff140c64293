"""What the database dump tests share: data that exercises a dump (several databases, roles with
passwords and grants, schemas, views, functions, triggers, sequences, large objects, a contrib
extension, unicode; MariaDB users with grants, routines, events, triggers, views, InnoDB and MyISAM),
and the fingerprints a restore must reproduce (every table's checksum, every role/user and grant)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ..database_servers import MariaDB, Postgres

Server = TypeVar("Server", Postgres, MariaDB)


def serve(server: Server, setup: Callable[[Server], None] | None = None) -> Iterator[Server]:
    """The body of a module's server fixture: `server` (set up by `setup`), stopped after the module's
    last test whatever happened."""
    try:
        if setup is not None:
            setup(server)
        yield server
    finally:
        server.stop()


DEPLOYMENT = "0123456789abcdef"  # this deployment's id, in the state folder the drills use
ANOTHER_DEPLOYMENT = "fedcba9876543210"


def with_deployment(tmp_path: Path) -> str:
    """The state folder of `cli`/`daemon` (beside their work folder) holding DEPLOYMENT's id."""
    (tmp_path / "state").mkdir(mode=0o700, exist_ok=True)
    (tmp_path / "state" / "deployment-id").write_text(DEPLOYMENT + "\n")
    return DEPLOYMENT


PG_DATABASES = ("shop", "wiki")
PG_SETUP = {
    "postgres": """
CREATE ROLE app_owner LOGIN PASSWORD 'owner-pw-1';
CREATE ROLE reader LOGIN PASSWORD 'reader-pw-2' CONNECTION LIMIT 5;
CREATE ROLE readers NOLOGIN;
GRANT readers TO reader;
CREATE DATABASE shop OWNER app_owner;
CREATE DATABASE wiki;
CREATE DATABASE scratch;
""",
    "shop": """
CREATE EXTENSION hstore;
CREATE SCHEMA sales AUTHORIZATION app_owner;
CREATE SEQUENCE sales.invoice_no START 1000;
CREATE TABLE sales.items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags hstore);
INSERT INTO sales.items (name, price, tags)
  SELECT 'item ' || g || ' Grüße ✓ 日本', g * 1.5, hstore('n', g::text) FROM generate_series(1, 2000) g;
CREATE TABLE sales.audit (item int, at_no bigint);
CREATE FUNCTION sales.log_item() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO sales.audit VALUES (NEW.id, nextval('sales.invoice_no')); RETURN NEW; END$$;
CREATE TRIGGER items_audit AFTER INSERT ON sales.items FOR EACH ROW EXECUTE FUNCTION sales.log_item();
INSERT INTO sales.items (name, price) VALUES ('after trigger', 1);
CREATE VIEW sales.cheap AS SELECT id, name FROM sales.items WHERE price < 10;
GRANT USAGE ON SCHEMA sales TO readers;
GRANT SELECT ON sales.items, sales.cheap TO readers;
SELECT lo_from_bytea(0, convert_to(repeat('large object ✓ ', 500), 'UTF8'));
CREATE TABLE sales.bulk (id int, payload text);
INSERT INTO sales.bulk SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 20000) g;
ALTER TABLE sales.items OWNER TO app_owner;
""",
    "wiki": """
CREATE TABLE pages (title text PRIMARY KEY, body text);
INSERT INTO pages VALUES ('Ünïcødé', 'текст ✓'), ('empty', '');
GRANT SELECT ON pages TO reader;
""",
}

PG_TABLES_SQL = """SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'
AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"""
PG_ROLES_SQL = """SELECT rolname, rolpassword, rolcanlogin, rolconnlimit,
 (SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m JOIN pg_roles b ON
  b.oid = m.roleid WHERE m.member = a.oid) FROM pg_authid a WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1"""
PG_GRANTS_SQL = """SELECT n.nspname, c.relname, c.relacl::text, pg_get_userbyid(c.relowner) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2;
SELECT nspname, nspacl::text FROM pg_namespace ORDER BY 1;
SELECT proname, md5(prosrc) FROM pg_proc WHERE pronamespace > 16000 ORDER BY 1;
SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1;
SELECT extname FROM pg_extension ORDER BY 1;
SELECT last_value FROM sales.invoice_no;
SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY 1;"""


def backup(cli: Callable[..., Any], task: str, env: dict[str, str]) -> None:
    """`exec TASK`: one backup, which must succeed."""
    run = cli("exec", task, env=env, timeout=180)
    assert run.returncode == 0, run.output


def pg_setup(server: Postgres) -> None:
    for database, statements in PG_SETUP.items():
        server.sql(statements, database)


def pg_call_writer(server: Postgres) -> None:
    """CALL busy's writer() procedure until the test cancels it (a writer thread's body)."""
    with pytest.raises(AssertionError, match="canceling statement"):
        server.sql("CALL writer()", "busy")


def pg_table_sums(server: Postgres, database: str) -> dict[str, str]:
    sums = {}
    for table in filter(None, server.sql(PG_TABLES_SQL, database).splitlines()):  # names may hold spaces
        sql = f"SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
        sums[table] = server.sql(sql, database).strip()
    return sums


def pg_fingerprint(server: Postgres) -> dict[str, object]:
    """What must survive a dump and a restore: tables, roles, memberships, grants, owners, objects."""
    found: dict[str, object] = {"roles": server.sql(PG_ROLES_SQL)}
    for database in PG_DATABASES:
        found[database] = pg_table_sums(server, database)
        found[f"{database} grants"] = server.sql(
            PG_GRANTS_SQL if database == "shop" else PG_GRANTS_SQL.split(";")[0], database
        )
    found["database owners"] = server.sql(
        "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
        "WHERE datname IN ('shop', 'wiki') ORDER BY 1"
    )
    return found


def pg_drop_everything(server: Postgres) -> None:
    for database in (*PG_DATABASES, "scratch"):
        server.sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    server.sql("DROP ROLE reader; DROP ROLE readers; DROP ROLE app_owner;")


def pg_load(
    server: Postgres, restored: Path, databases: tuple[str, ...] = PG_DATABASES, roles: bool = True
) -> None:
    """The dump loaded by hand with the clients: the globals (the existing `postgres` role is an error
    psql reports and goes on), then each database."""
    if roles:
        server.sql((restored / "globals.sql").read_text().replace("CREATE ROLE postgres;", ""))
    for database in databases:
        sql = subprocess.run(
            ["zstd", "-dc", str(restored / "databases" / f"{database}.sql.zst")],
            capture_output=True, check=True, text=True,
        ).stdout  # fmt: skip
        server.sql(sql)


MARIADB_DATABASES = ("shop", "wiki")
MARIADB_SETUP = """
CREATE DATABASE shop CHARACTER SET utf8mb4;
CREATE DATABASE wiki CHARACTER SET utf8mb4;
CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw-1';
CREATE USER 'reader'@'localhost' IDENTIFIED BY 'reader-pw-2';
GRANT ALL ON shop.* TO 'app'@'%';
GRANT SELECT ON wiki.* TO 'reader'@'localhost';
USE shop;
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100), price DECIMAL(10,2)) ENGINE=InnoDB;
CREATE TABLE audit (item INT, at DATETIME) ENGINE=InnoDB;
CREATE TABLE legacy (id INT, note TEXT) ENGINE=MyISAM;
INSERT INTO legacy VALUES (1, 'old ✓');
CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit VALUES (NEW.id, '2024-01-01');
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
CREATE FUNCTION double_price(p DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN p * 2;
CREATE PROCEDURE add_item(n VARCHAR(100)) INSERT INTO items (name, price) VALUES (n, 1);
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE at < '2000-01-01';
INSERT INTO items (name, price) SELECT CONCAT('item ', seq, ' Grüße ✓'), seq * 1.5 FROM seq_1_to_2000;
CALL add_item('by procedure');
USE wiki;
CREATE TABLE pages (title VARCHAR(100) PRIMARY KEY, body TEXT) ENGINE=InnoDB;
INSERT INTO pages VALUES ('Ünïcødé', 'текст ✓'), ('empty', '');
CREATE TABLE labels (id INT PRIMARY KEY, latin VARCHAR(20) CHARACTER SET latin1,
  wide VARCHAR(20) CHARACTER SET utf16, emoji VARCHAR(20) CHARACTER SET utf8mb4, raw BLOB) ENGINE=InnoDB;
INSERT INTO labels VALUES (1, _latin1 X'636166E9', _utf16 X'00FC006E00EF', _utf8mb4 X'F09F988027',
  X'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF');
"""
MARIADB_FINGERPRINT_SQL = """
SELECT user, host, authentication_string FROM mysql.user WHERE user IN ('app', 'reader') ORDER BY 1;
SHOW GRANTS FOR 'app'@'%';
SHOW GRANTS FOR 'reader'@'localhost';
SELECT routine_schema, routine_name, md5(routine_definition) FROM information_schema.routines
  WHERE routine_schema IN ('shop', 'wiki') ORDER BY 1, 2;
SELECT event_name, md5(event_definition) FROM information_schema.events ORDER BY 1;
SELECT trigger_name, md5(action_statement) FROM information_schema.triggers
  WHERE trigger_schema = 'shop' ORDER BY 1;
SELECT table_name, md5(view_definition) FROM information_schema.views WHERE table_schema = 'shop';
SELECT table_schema, table_name, engine FROM information_schema.tables
  WHERE table_schema IN ('shop', 'wiki') ORDER BY 1, 2;
CHECKSUM TABLE shop.items, shop.audit, shop.legacy, wiki.pages, wiki.labels EXTENDED;
SELECT HEX(latin), HEX(wide), HEX(emoji), MD5(raw), LENGTH(raw) FROM wiki.labels;
SELECT COUNT(*) FROM shop.items; SELECT COUNT(*) FROM shop.audit;
"""


def mariadb_fingerprint(server: MariaDB) -> str:
    return server.sql(MARIADB_FINGERPRINT_SQL)


def mariadb_drop_everything(server: MariaDB) -> None:
    server.sql("DROP DATABASE shop; DROP DATABASE wiki; DROP USER 'app'@'%'; DROP USER 'reader'@'localhost';")


def mariadb_load(server: MariaDB, restored: Path) -> None:
    """The dump loaded by hand as bytes (it holds each column's bytes as they are: latin1's too)."""
    server.sql((restored / "globals.sql").read_text())
    client = ["mariadb", "--no-defaults", "-uroot", f"--socket={server.socket}"]
    for database in MARIADB_DATABASES:
        dump = restored / "databases" / f"{database}.sql.zst"
        sql = subprocess.run(["zstd", "-dc", str(dump)], capture_output=True, check=True).stdout
        subprocess.run(client, input=sql, capture_output=True, check=True, timeout=300)
