"""PostgreSQL: the command lines of `pg_dump`, `pg_dumpall` and `psql` for one server.

Pure. Connections are libpq keyword strings (`host=... dbname=...`) so that every option of the URL's
query (`sslmode`, `sslrootcert`, ...) reaches libpq as it is; the password goes in PGPASSWORD, never
argv. Without a password anywhere, the client's own PGPASSWORD / PGPASSFILE / ~/.pgpass apply.

Each database is dumped from one snapshot: a `psql` session opens a repeatable-read transaction and
exports its snapshot, `pg_dump --snapshot` dumps from it, and the same session lists the tables in it
(TABLES_SQL) for the manifest; their rows are counted in the dump as it streams by
(`rows.copy_rows`), so the counts are exactly those of the dump.
"""

from __future__ import annotations

from ...model import DatabaseUrl
from ..common import DECOMPRESS, parse_version
from ..engine import ClientCommand, RestoreCommands, Version

NAME = "postgresql"
CLIENT = "pg_dump"
PASSWORD_VARIABLE = "PGPASSWORD"  # libpq's
CONNECT_TIMEOUT = 10  # seconds; the URL's `connect_timeout` wins
MAINTENANCE_DATABASE = "postgres"  # listed from, when the URL names no database
SAME_MAJOR = True  # a client dumps every server up to its own major

SERVER_VERSION_SQL = "SELECT current_setting('server_version_num') || ' ' || version()"
LIST_DATABASES_SQL = (
    "SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname"
)
BEGIN_SNAPSHOT_SQL = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\n"
# Every table's exact row count and size, in one statement (query_to_xml runs the count of each).
COUNT_ROWS_SQL = """SELECT n.nspname, c.relname,
 (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
  false, true, '')))[1]::text,
 pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
ORDER BY 1, 2;
"""

# Every table of the snapshot with its kind and size, for the manifest (the rows: `rows.copy_rows`),
# and whether pg_dump writes its data (pg_dump.c, makeTableDataInfo and the extensions' config tables):
# a plain table's, but an extension's own table (unless it is one of the extension's config tables),
# and an unlogged table's on a standby (pg_dump leaves those out there).
TABLES_SQL = """SELECT n.nspname, c.relname, c.relkind, pg_total_relation_size(c.oid),
 c.relkind = 'r' AND NOT (c.relpersistence = 'u' AND pg_is_in_recovery())
 AND (NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
  AND d.deptype = 'e') OR EXISTS (SELECT FROM pg_extension x WHERE c.oid = ANY (x.extconfig)))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
ORDER BY 1, 2;
"""
TRAILER = "-- PostgreSQL database dump complete"  # pg_dump's plain format ends with it, always
PLAIN_TABLE = "r"  # the kind whose rows are in the dump's COPY blocks (a partitioned table's are its
# partitions', a materialized view's are computed again by the restore)


def _quote(value: str) -> str:
    """A libpq keyword value: in single quotes, `\\` and `'` escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(url: DatabaseUrl, database: str | None = None) -> str:
    """The libpq connection string of `database` (default: the URL's, else `postgres`)."""
    words = {"dbname": database or url.database or MAINTENANCE_DATABASE}
    if url.host:
        words["host"] = url.host
    if url.port:
        words["port"] = str(url.port)
    if url.user:
        words["user"] = url.user
    words["connect_timeout"] = str(CONNECT_TIMEOUT)
    words.update((name, value) for name, value in url.options if name not in ("dbname", "password"))
    return " ".join(f"{name}={_quote(value)}" for name, value in words.items())


def client_env(password: str | None) -> dict[str, str]:
    return {} if password is None else {PASSWORD_VARIABLE: password}


def _psql(url: DatabaseUrl, database: str | None = None) -> list[str]:
    return ["psql", "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-d", conninfo(url, database)]


def version_command() -> ClientCommand:
    return ClientCommand([CLIENT, "--version"])


def parse_client_version(text: str) -> Version:
    """`pg_dump (PostgreSQL) 17.6 (Debian 17.6-1)` -> (17, 6)."""
    return parse_version(text, r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


def server_version_command(url: DatabaseUrl, password: str | None) -> ClientCommand:
    return ClientCommand([*_psql(url), "-c", SERVER_VERSION_SQL], client_env(password))


def parse_server_version(text: str) -> tuple[Version, str]:
    """`150018 15.18 (Debian ...)` -> ((15, 18), `15.18 (Debian ...)`); 90624 -> (9, 6)."""
    number_text, _space, shown = text.strip().partition(" ")
    if not number_text.isdigit():
        raise ValueError(f"no version in {text.strip()[:200]!r}")
    number = int(number_text)
    if number >= 100000:
        return (number // 10000, number % 10000), shown
    return (number // 10000, number // 100 % 100), shown


def server_and_databases_command(url: DatabaseUrl, password: str | None) -> ClientCommand:
    """The server's version (SERVER_VERSION_SQL) on the first line, then its databases, a line each:
    one connection where two would each cost a client's start and a login."""
    return ClientCommand(
        [*_psql(url), "-c", SERVER_VERSION_SQL, "-c", LIST_DATABASES_SQL], client_env(password)
    )


def globals_command(url: DatabaseUrl, password: str | None) -> ClientCommand:
    """Roles with their password hashes, memberships, role settings and tablespaces (plain SQL)."""
    argv = ["pg_dumpall", "--globals-only", "--no-password", "-d", conninfo(url)]
    return ClientCommand(argv, client_env(password))


def snapshot_session_command(url: DatabaseUrl, password: str | None, database: str) -> ClientCommand:
    """A `psql` reading statements from its stdin: BEGIN_SNAPSHOT_SQL, then TABLES_SQL."""
    return ClientCommand(_psql(url, database), client_env(password))


def dump_command(
    url: DatabaseUrl,
    password: str | None,
    database: str,
    snapshot: str | None,
    sections: tuple[str, ...] = (),
    exclude_table_data: str | None = None,
) -> ClientCommand:
    """`pg_dump` of one database (plain SQL with its CREATE DATABASE, ACLs, extensions, large objects),
    from `snapshot` when given; only `sections` when given (CREATE DATABASE with the pre-data one),
    without the rows of the tables `exclude_table_data` names (`postgresql.parts`)."""
    create = ["--create"] if not sections or "pre-data" in sections else []
    argv = ["pg_dump", "--no-password", "--format=plain", *create, "-d", conninfo(url, database)]
    if snapshot is not None:
        argv.append(f"--snapshot={snapshot}")
    argv += [f"--section={section}" for section in sections]
    if exclude_table_data is not None:
        argv.append(f"--exclude-table-data={exclude_table_data}")
    return ClientCommand(argv, client_env(password))


def part_command(
    url: DatabaseUrl, password: str | None, database: str, statements: list[str], encoding: str
) -> ClientCommand:
    """`psql` running `statements` (one `-c` each) in `database`, its output in `encoding`."""
    argv = [*_psql(url, database), *(arg for sql in statements for arg in ("-c", sql))]
    return ClientCommand(argv, {**client_env(password), "PGCLIENTENCODING": encoding})


# --- Restore ---------------------------------------------------------------------------------------

LOAD_CLIENT = "psql"
ROLES_SQL = "SELECT rolname FROM pg_roles ORDER BY 1"
TABLESPACES_SQL = "SELECT spcname FROM pg_tablespace ORDER BY 1"
ALL_DATABASES_SQL = "SELECT datname FROM pg_database ORDER BY datname"
# The sessions the server has left for a role that is not a superuser (a parallel load takes at most half)
FREE_CONNECTIONS_SQL = (
    "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
    " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
)
OTHER_MAINTENANCE_DATABASE = "template1"  # connected to while `postgres` itself is dropped and created
# The objects of the current database that are not initdb's: relations, functions, types, schemas
# (but `public`), extensions (but plpgsql), large objects, publications, event triggers, foreign data
# wrappers and servers. 0: a database that holds nothing of a user's
# (postgres after initdb, one an image's entrypoint made empty), which a restore loads into as it is.
USER_OBJECTS_SQL = """SELECT
 (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
 + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
 + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
 + (SELECT count(*) FROM pg_namespace
  WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%')
 + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
 + (SELECT count(*) FROM pg_largeobject_metadata)
 + (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_event_trigger)
 + (SELECT count(*) FROM pg_foreign_data_wrapper) + (SELECT count(*) FROM pg_foreign_server)"""


def maintenance_for(database: str) -> str:
    """The database a client connects to in order to drop or create `database`: `postgres`, but for
    `postgres` itself (template1, as `dropdb postgres` does)."""
    if database == MAINTENANCE_DATABASE:
        return OTHER_MAINTENANCE_DATABASE
    return MAINTENANCE_DATABASE


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_client_version_command() -> ClientCommand:
    return ClientCommand([LOAD_CLIENT, "--version"])


def query_command(
    url: DatabaseUrl, password: str | None, sql: str, database: str | None = None
) -> ClientCommand:
    """`psql` running `sql`, its rows one a line (on the maintenance database unless `database`)."""
    return ClientCommand([*_psql(url, database or MAINTENANCE_DATABASE), "-c", sql], client_env(password))


def load_command(url: DatabaseUrl, password: str | None, database: str | None = None) -> ClientCommand:
    """`psql` running the script of its stdin, stopping at the first error (a dump's script creates
    and connects to its database itself)."""
    argv = [
        "psql",
        "-X",
        "-q",
        "-w",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        conninfo(url, database or MAINTENANCE_DATABASE),
    ]
    return ClientCommand(argv, client_env(password))


READ_ONLY_SQL = "SET default_transaction_read_only = on"


def statement_command(
    url: DatabaseUrl, password: str | None, database: str, statement: str, separator: str
) -> ClientCommand:
    """`psql` running one user's statement in `database`, in a session whose transactions are read-only,
    its rows one a line and their fields separated by `separator`."""
    argv = [*_psql(url, database), "-F", separator, "-c", READ_ONLY_SQL, "-c", statement]
    return ClientCommand(argv, client_env(password))


def count_rows_command(url: DatabaseUrl, password: str | None, database: str) -> ClientCommand:
    """COUNT_ROWS_SQL in `database` (schema, table, rows, size; separated by `separator`)."""
    return query_command(url, password, COUNT_ROWS_SQL, database)


def scratch_databases_command(url: DatabaseUrl, password: str | None, prefix: str) -> ClientCommand:
    """The databases whose names start with `prefix` and their comments (a drill's marker), one a line:
    name, the FIELD separator `\\x1f`, comment."""
    sql = (
        "SELECT datname || chr(31) || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        f"WHERE left(datname, {len(prefix)}) = '{prefix.replace(chr(39), chr(39) * 2)}' ORDER BY 1"
    )
    return query_command(url, password, sql)


def drop_database_command(url: DatabaseUrl, password: str | None, database: str) -> ClientCommand:
    """DROP DATABASE, ending the sessions connected to it (PostgreSQL 13+)."""
    sql = f"DROP DATABASE IF EXISTS {identifier(database)} WITH (FORCE)"
    return query_command(url, password, sql, maintenance_for(database))


def restore_commands(
    url: DatabaseUrl,
    password: str | None,
    dump: str,
    database: str,
    into: str | None = None,
    drop: bool = False,
) -> RestoreCommands:
    """The restore of one database from its `pg_dump --create` file `dump`: DROP (with `drop`), the
    file decompressed into psql (which creates `into` from `maintenance_for(into)`), then ANALYZE in
    the restored database."""
    into = into or database
    return RestoreCommands(
        database=database,
        into=into,
        load=[ClientCommand([*DECOMPRESS, dump]), load_command(url, password, maintenance_for(into))],
        drop=drop_database_command(url, password, into) if drop else None,
        analyze=query_command(url, password, "ANALYZE", into),
    )
