"""The version matrix: the postgres and mariadb images' built-in dump (DATABASE_URL + TARGET, nothing
else) backs up servers of the oldest and newest majors Debian packages, each in a container built from
that release's packages (tests/images/database_servers.py); the backup is restored with
`duplicity-cron restore`, every database and the roles/users are dropped, the dump is loaded by hand
with the image's client, and every table's checksum, every routine, view, trigger and sequence, and the
roles'/users' password hashes are the source's. A MySQL server (Debian unstable's 9.7) reached by a
mariadb:// URL is refused before anything is dumped (the mysql image backs it up: test_mysql.py)."""

from __future__ import annotations

import json
import re

import pytest

from .database_servers import PASSWORD, ServerContainer, ServerSpec
from .util import PASSPHRASE, open_dir

SERVERS = [
    ServerSpec("postgresql", "13", "bullseye", "postgresql-13"),
    ServerSpec("postgresql", "15", "bookworm", "postgresql-15"),
    ServerSpec("postgresql", "17", "trixie", "postgresql-17"),
    ServerSpec("postgresql", "18", "sid", "postgresql-18"),
    ServerSpec("mariadb", "10.11", "bookworm", "mariadb-server"),
    ServerSpec("mariadb", "11.8", "trixie", "mariadb-server"),
]
ROWS = 2000

PG_DATA = f"""
CREATE ROLE app LOGIN PASSWORD 'app-pw';
CREATE DATABASE shop OWNER app;
\\c shop
SET ROLE app;
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), data bytea,
  seen timestamptz DEFAULT '2024-02-29 12:00:00+00');
INSERT INTO items (name, price, data) SELECT 'item ' || g || ' ''quoted'' é ☃' || CASE WHEN g % 7 = 0
  THEN E'\\nnew\\tline\\\\' ELSE '' END, g * 1.25, decode(md5(g::text), 'hex')
  FROM generate_series(1, {ROWS}) g;
CREATE VIEW dear AS SELECT id, name FROM items WHERE price > 1000;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen := now(); RETURN NEW; END $$;
CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
SELECT lo_from_bytea(0, 'a large object');
RESET ROLE;
CREATE DATABASE wiki;
\\c wiki
CREATE TABLE pages (id bigint PRIMARY KEY, body text);
INSERT INTO pages SELECT g, repeat('lorem ipsum ' || g, 20) FROM generate_series(1, {ROWS}) g;
CREATE TABLE events (day date NOT NULL, what text) PARTITION BY RANGE (day);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events SELECT date '2024-06-01' + g, 'event ' || g FROM generate_series(1, 400) g;
"""
# every table's rows as one md5, and what else the dump must carry back
PG_STATE = """SELECT 'table ' || c.oid::regclass::text || ' ' || (xpath('/row/m/text()', query_to_xml(
  format('SELECT md5(string_agg(t::text, E''\\n'' ORDER BY t::text)) AS m FROM %s t', c.oid::regclass),
  false, true, '')))[1]::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'
UNION ALL SELECT 'sequence ' || sequencename || ' ' || last_value FROM pg_sequences
UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL SELECT 'view ' || viewname FROM pg_views WHERE schemaname = 'public'
UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
UNION ALL SELECT 'large object ' || md5(lo_get(oid)) FROM pg_largeobject_metadata
UNION ALL SELECT 'owner ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
ORDER BY 1;
"""
PG_ROLES = "SELECT rolname || ' ' || rolcanlogin || ' ' || rolpassword FROM pg_authid WHERE rolname = 'app';"

MY_DATA = f"""
CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw';
CREATE DATABASE shop;
GRANT SELECT, INSERT ON shop.* TO 'app'@'%';
USE shop;
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL, price DECIMAL(10,2),
  data LONGBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO items (name, price, data) SELECT CONCAT('item ', seq, ' ''quoted'' é ☃', IF(seq % 7 = 0,
  '\\nnew\\tline\\\\', '')), seq * 1.25, UNHEX(MD5(seq)) FROM seq_1_to_{ROWS};
CREATE VIEW dear AS SELECT id, name FROM items WHERE price > 1000;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT) ENGINE=InnoDB;
CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item) VALUES (NEW.id);
CREATE PROCEDURE cheap() SELECT id FROM items WHERE price < 10;
CREATE DATABASE wiki;
USE wiki;
CREATE TABLE pages (id BIGINT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO pages SELECT seq, REPEAT(CONCAT('lorem ipsum ', seq), 20) FROM seq_1_to_{ROWS};
"""
MY_STATE = """SELECT CONCAT('table ', table_schema, '.', table_name) FROM information_schema.tables
  WHERE table_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('routine ', routine_schema, '.', routine_name) FROM information_schema.routines
  WHERE routine_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('trigger ', trigger_schema, '.', trigger_name) FROM information_schema.triggers
  WHERE trigger_schema IN ('shop', 'wiki')
UNION ALL SELECT CONCAT('grant ', grantee, ' ', table_schema, ' ', privilege_type)
  FROM information_schema.schema_privileges WHERE grantee LIKE '%app%'
UNION ALL SELECT CONCAT('user ', user, ' ', authentication_string) FROM mysql.user WHERE user = 'app'
ORDER BY 1;
CHECKSUM TABLE shop.items, shop.audit, wiki.pages EXTENDED;
"""


@pytest.fixture(params=SERVERS, ids=[spec.id for spec in SERVERS])
def server(request, engine, containers):
    container = ServerContainer(engine, request.param, containers(f"dct-{request.param.id}"))
    yield container
    container.stop()


def _state(server: ServerContainer) -> str:
    if server.spec.engine == "mariadb":
        return server.sql(MY_STATE)
    return server.sql(PG_ROLES) + "".join(
        f"-- {database}\n" + server.sql(PG_STATE, database) for database in ("shop", "wiki")
    )


def _fill(server: ServerContainer) -> None:
    server.sql(MY_DATA if server.spec.engine == "mariadb" else PG_DATA)
    assert int(server.sql("SELECT count(*) FROM shop.items;" if server.spec.engine == "mariadb"
                          else "SELECT count(*) FROM items;", "shop")) == ROWS  # fmt: skip


def _drop_everything(server: ServerContainer) -> None:
    if server.spec.engine == "mariadb":
        server.sql("DROP DATABASE shop; DROP DATABASE wiki; DROP USER 'app'@'%';")
    else:
        server.sql("DROP DATABASE shop;\nDROP DATABASE wiki;\nDROP ROLE app;\n")


def test_the_image_backs_up_the_server_and_the_dump_restores(engine, server, tmp_path):
    image = engine.image("postgres" if server.spec.engine == "postgresql" else "mariadb")
    _fill(server)
    before = _state(server)
    backups, out = open_dir(tmp_path / "backups"), open_dir(tmp_path / "out")
    user = "postgres" if server.spec.engine == "postgresql" else "backup"
    query = "" if server.spec.engine == "postgresql" else "?skip-ssl="
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_db_DATABASE_URL": f"{server.spec.engine}://{user}@127.0.0.1:{server.port}/{query}",
        "TASK_db_DATABASE_PASSWORD": PASSWORD,
        "TASK_db_TARGET": "file:///backups/db",
    }
    volumes = [f"{backups}:/backups", f"{out}:/out"]
    backup = engine.run(image, "exec", "db", env=env, volumes=volumes, network="host", timeout=300)
    assert backup.returncode == 0, backup.stdout[-4000:] + backup.stderr[-2000:]
    assert PASSWORD not in backup.stdout + backup.stderr

    restore = engine.run(
        image, "restore", "db", "--to", "/out/dump", env=env, volumes=volumes, network="host"
    )
    assert restore.returncode == 0, restore.stdout[-4000:] + restore.stderr[-2000:]
    manifest = json.loads((out / "dump" / "manifest.json").read_text())
    assert re.search(rf"(^| ){re.escape(server.spec.version)}\.", manifest["server_version"]), manifest
    assert {d["name"] for d in manifest["databases"]} >= {"shop", "wiki"}
    counted = {(d["name"], t["name"]): t["rows"] for d in manifest["databases"] for t in d["tables"]}
    assert counted[("shop", "items")] == counted[("wiki", "pages")] == ROWS

    _drop_everything(server)
    assert "shop" not in server.sql("SHOW DATABASES;" if server.spec.engine == "mariadb"
                                    else "SELECT datname FROM pg_database;")  # fmt: skip
    load = engine.run(image, "restore", "db", env=env, volumes=volumes, network="host", timeout=300)
    output = load.stdout + load.stderr
    assert load.returncode == 0, output[-4000:]
    assert "restored the databases into" in output and "ERROR" not in output, output[-4000:]
    assert PASSWORD not in output
    if server.spec.engine == "postgresql":
        assert "database postgres exists and holds nothing: loading into it" in output, output[-4000:]
    assert _state(server) == before

    if server.spec.id == "postgresql-13":  # both of pg_dump 18's lines that 13 does not know
        drill = engine.run(image, "verify", "db", env=env, volumes=volumes, network="host", timeout=300)
        output = drill.stdout + drill.stderr
        assert drill.returncode == 0, output[-4000:]
        assert "every table's rows as its manifest counted" in output, output[-4000:]
        assert "dcv_" not in server.sql("SELECT string_agg(datname, ' ') FROM pg_database;")


def _client_17_image(engine, folder) -> str:
    """The cron image with trixie's PostgreSQL client 17 (the postgres image before client 18), kept in
    the store under the cron image's id."""
    cron = engine.image("cron")
    tag = f"localhost/duplicity-cron-db-client:pg17-{engine.inspect(cron, '{{.Id}}')[:12]}"
    if engine.cmd("image", "inspect", tag, check=False).returncode != 0:
        (folder / "Dockerfile").write_text(
            f"FROM {cron}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
            "--no-install-recommends postgresql-client-17 zstd && rm -rf /var/lib/apt/lists/*\n"
        )
        pull = ["--pull=never"] if engine.name == "podman" else ["--pull=false"]
        engine.cmd("build", *pull, "-t", tag, str(folder), timeout=600)
    return tag


def test_a_server_newer_than_the_client_is_refused_naming_both_versions(engine, containers, tmp_path):
    spec = next(spec for spec in SERVERS if spec.id == "postgresql-18")
    server = ServerContainer(engine, spec, containers("dct-newer-server"))
    image = _client_17_image(engine, open_dir(tmp_path / "image"))
    backups = open_dir(tmp_path / "backups")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_db_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{server.port}/",
        "TASK_db_DATABASE_PASSWORD": PASSWORD,
        "TASK_db_TARGET": "file:///backups/db",
    }
    run = engine.run(image, "exec", "db", env=env, volumes=[f"{backups}:/backups"], network="host")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    expected = (
        f"postgresql://postgres@127.0.0.1:{server.port}/: the server is version 18, newer than the client "
    )
    assert expected + "pg_dump 17" in output, output[-3000:]
    assert "nothing was dumped" in output
    assert not list(backups.rglob("*.gpg"))  # no backup of a half dump


MYSQL = ServerSpec("mysql", "9.7", "sid", "mysql-server")  # Debian unstable's MySQL: the mysql image's


def test_a_mysql_server_reached_by_a_mariadb_url_is_refused_and_no_backup_is_made(
    engine, containers, tmp_path
):
    """The mariadb image's client cannot back up MySQL 9.7 so that it restores (docs/how-to/mysql.md): a
    mariadb:// URL reaching it fails the dump naming its version and saying to use mysql:// (the mysql
    image backs it up: test_mysql.py)."""
    server = ServerContainer(engine, MYSQL, containers("dct-mysql"))
    server.sql(
        "CREATE DATABASE shop; CREATE TABLE shop.t (x INT) ENGINE=InnoDB; INSERT INTO shop.t VALUES (1);"
    )
    image = engine.image("mariadb")
    backups = open_dir(tmp_path / "backups")
    env = {
        "PASSPHRASE": PASSPHRASE,
        "TASK_db_DATABASE_URL": f"mariadb://backup@127.0.0.1:{server.port}/?skip-ssl=",
        "TASK_db_DATABASE_PASSWORD": PASSWORD,
        "TASK_db_TARGET": "file:///backups/db",
    }
    volumes = [f"{backups}:/backups"]
    run = engine.run(image, "exec", "db", env=env, volumes=volumes, network="host", timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert (
        f"mariadb://backup@127.0.0.1:{server.port}/: the server is not MariaDB but MySQL (version 9.7."
    ) in output, output[-3000:]
    assert "use a mysql:// URL" in output, output[-3000:]
    assert "nothing was dumped" in output and "dumped database" not in output, output[-3000:]
    assert PASSWORD not in output
    assert not list(backups.rglob("*.gpg"))  # no backup of a dump that cannot be restored
