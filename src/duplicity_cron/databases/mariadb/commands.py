"""MariaDB: the command lines of `mariadb-dump` and `mariadb` for one server.

Pure. Every connection setting (user, password, host, port, connect timeout, the URL's query options
such as `ssl-ca`) goes in a private option file that the runner writes with mode 600 and names with
`--defaults-extra-file` (which must come first): nothing of the URL is in argv. Without a password
anywhere, the client's own MYSQL_PWD or option files apply.

Each database is dumped with `--single-transaction`: one consistent snapshot for InnoDB tables; tables
of other engines are read as they are at that moment (the runner names them in a warning). The row counts
of the manifest are counted in the dump as it streams by (`rows.insert_rows`), exactly the dump's;
a client older than 10.7 (whole INSERTs on one line) has them counted by `count_rows_sql` instead, in a
consistent snapshot of the runner's own just before the dump: exact when nobody writes meanwhile.
"""

from __future__ import annotations

from ...model import DatabaseUrl
from ..common import DECOMPRESS, parse_version
from ..engine import ClientCommand, RestoreCommands, Version

NAME = "mariadb"
CLIENT = "mariadb-dump"
PASSWORD_VARIABLE = "MYSQL_PWD"  # the clients' own
CONNECT_TIMEOUT = 10  # seconds; the URL's `connect-timeout` wins
SAME_MAJOR = False  # compared by major.minor: 11.8 is newer than 11.4
SYSTEM_DATABASES = ("information_schema", "performance_schema", "sys", "mysql")
ROWS_IN_DUMP_SINCE = (10, 7)  # mariadb-dump writes one row a line (MDEV-25152): countable as it streams
# The last line of a complete dump (`-- Dump completed on <date>`): written with `--comments`, the
# default, which the dump's command line sets again (an option file's `skip-comments` would drop it).
TRAILER = "-- Dump completed"
# The engines whose tables' data mariadb-dump leaves out (mysqldump.c, check_if_ignore_table): every
# other base table has its LOCK TABLES section in the dump, an empty table's too.
NO_DATA_ENGINES = ("MRG_MyISAM", "MRG_MYISAM", "MRG_ISAM", "FEDERATED")

_LIST_DATABASES_SQL = "SHOW DATABASES"
_BATCH = ["--batch", "--skip-column-names", "--raw"]


def option_file_text(url: DatabaseUrl, password: str | None) -> str:
    """The `[client]` group of the private option file: the URL's settings, then its query options."""
    settings: dict[str, str] = {}
    if url.host:
        settings["socket" if url.host.startswith("/") else "host"] = url.host
    if url.port:
        settings["port"] = str(url.port)
    if url.user:
        settings["user"] = url.user
    if password is not None:
        settings["password"] = password
    settings.update(url.options)
    # mariadb-dump knows no connect-timeout; `mariadb` (group [mysql]) connects first, so a server that
    # does not answer fails the version check in CONNECT_TIMEOUT.
    timeout = {"connect-timeout": settings.pop("connect-timeout", str(CONNECT_TIMEOUT))}
    return _group("client", settings) + _group("mysql", timeout)


def _group(name: str, settings: dict[str, str]) -> str:
    lines = [f"[{name}]"]
    for option, value in settings.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{option}="{escaped}"' if value else option)
    return "\n".join(lines) + "\n"


def _mariadb(option_file: str) -> list[str]:
    return ["mariadb", f"--defaults-extra-file={option_file}", *_BATCH]


def version_command() -> ClientCommand:
    return ClientCommand([CLIENT, "--version"])


def parse_client_version(text: str) -> Version:
    """`mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB, ...` or `mariadb-dump from 11.8.3-MariaDB, ...`."""
    return parse_version(text, r"(?:Distrib|from) (\d+)\.(\d+)")


def counts_rows_in_dump(client: Version) -> bool:
    """Whether this mariadb-dump's rows can be counted in its output (`rows.insert_rows`)."""
    return client >= ROWS_IN_DUMP_SINCE


def server_version_command(option_file: str) -> ClientCommand:
    return ClientCommand([*_mariadb(option_file), "-e", "SELECT VERSION()"])


def parse_server_version(text: str) -> Version:
    """`10.11.6-MariaDB-0+deb12u1` -> (10, 11)."""
    return parse_version(text, r"^\s*(\d+)\.(\d+)")


def other_server(server_version: str) -> str | None:
    """Why a server whose `SELECT VERSION()` is `server_version` is not one this engine backs up or
    restores into, or None: MariaDB's version says so (`11.8.3-MariaDB-1 from Debian`), MySQL's does
    not (`9.1.0`, `8.0.36-0ubuntu0.22.04.1`), and mariadb-dump's users of a MySQL server are in
    MariaDB's syntax, which MySQL cannot load: the `mysql` engine backs it up."""
    if "mariadb" in server_version.lower():
        return None
    return (
        f"the server is not MariaDB but MySQL (version {server_version.strip()[:40]}): a mariadb-dump "
        "backup of it cannot be restored; use a mysql:// URL (the duplicity-mysql image has MySQL's client)"
    )


def list_databases_command(option_file: str) -> ClientCommand:
    return ClientCommand([*_mariadb(option_file), "-e", _LIST_DATABASES_SQL])


def user_databases(names: list[str]) -> list[str]:
    """The server's databases but the system schemas (users and grants are dumped on their own)."""
    return [name for name in names if name.lower() not in SYSTEM_DATABASES]


def globals_command(option_file: str) -> ClientCommand:
    """Users, roles and their grants as `CREATE USER IF NOT EXISTS` / `GRANT` statements
    (`--system=users`, MariaDB 10.5+ clients): a restore keeps the users that exist."""
    return ClientCommand(
        [CLIENT, f"--defaults-extra-file={option_file}", "--system=users", "--insert-ignore"]
    )


def sql_string(value: str) -> str:
    """A string literal of MariaDB's and MySQL's SQL."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def tables_sql(databases: list[str]) -> str:
    """Schema, table, engine and size of every base table of `databases`."""
    names = ", ".join(map(sql_string, databases))
    return (
        "SELECT table_schema, table_name, engine, data_length + index_length FROM information_schema.tables "
        f"WHERE table_type = 'BASE TABLE' AND table_schema IN ({names}) ORDER BY 1, 2"
    )


def count_rows_sql(tables: list[tuple[str, str]]) -> str:
    """One consistent snapshot, then each table's exact row count (one row: schema, table, count)."""
    statements = ["START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;"]
    for schema, table in tables:
        statements.append(
            f"SELECT {sql_string(schema)}, {sql_string(table)}, COUNT(*) "
            f"FROM {_identifier(schema)}.{_identifier(table)};"
        )
    statements.append("COMMIT;")
    return "\n".join(statements) + "\n"


def query_command(option_file: str) -> ClientCommand:
    """`mariadb` running the statements of its stdin (`tables_sql`, `count_rows_sql`)."""
    return ClientCommand(_mariadb(option_file))


def dump_command(option_file: str, database: str) -> ClientCommand:
    """`mariadb-dump` of one database with its routines, events, triggers and views (and its CREATE
    DATABASE), one consistent snapshot for InnoDB.

    `--default-character-set=binary`: every value and definition as the bytes the server holds (the
    dump says `SET NAMES binary`; its routines, triggers and views their own creation character set),
    so a restore gives back the same bytes whatever each column's character set. Values are quoted
    and escaped as mariadb-dump always does (NUL, quotes, backslash, CR and LF escaped: one row a
    line), BLOBs too: `--hex-blob` under this character set would write every string in hex (the
    compressed dump +50 %). mariadb-dump's escaping, which under utf8mb4 checks each byte for a
    multi-byte character, takes half the CPU (measured: 5.8 -> 2.8 s for 6 M rows of 84 characters,
    the same compressed size)."""
    argv = [
        CLIENT, f"--defaults-extra-file={option_file}",
        "--single-transaction", "--routines", "--events", "--triggers",
        "--default-character-set=binary", "--comments", "--databases", database,
    ]  # fmt: skip
    return ClientCommand(argv)


# --- Restore ---------------------------------------------------------------------------------------

LOAD_CLIENT = "mariadb"
USERS_SQL = "SELECT user, host FROM mysql.user"
# the sessions the server takes more of (Threads_connected is every user's, whatever one's privileges)
FREE_CONNECTIONS_SQL = (
    "SELECT @@max_connections - variable_value FROM information_schema.global_status "
    "WHERE variable_name = 'THREADS_CONNECTED'"
)


def load_client_version_command() -> ClientCommand:
    return ClientCommand([LOAD_CLIENT, "--version"])


def load_command(option_file: str) -> ClientCommand:
    """`mariadb` running the script of its stdin, stopping at the first error."""
    return ClientCommand(_mariadb(option_file))


def unbuffered(command: ClientCommand) -> ClientCommand:
    """`command` (a `mariadb` client) writing each statement's output when it has run it."""
    return ClientCommand([*command.argv, "--unbuffered"], command.env)


def user_objects_sql(database: str) -> str:
    """The tables, views, routines and events of `database` (0: it holds nothing, and a restore loads
    into it as it is: the dump's `CREATE DATABASE IF NOT EXISTS` keeps it)."""
    name = sql_string(database)
    return (
        f"SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {name}) + "
        f"(SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = {name}) + "
        f"(SELECT COUNT(*) FROM information_schema.events WHERE event_schema = {name})"
    )


def scratch_databases_sql(prefix: str) -> str:
    """The databases whose names start with `prefix` and their comments (a drill's marker; MariaDB
    10.5+ keeps a database's COMMENT)."""
    return (
        "SELECT schema_name, schema_comment FROM information_schema.schemata "
        f"WHERE LEFT(schema_name, {len(prefix)}) = {sql_string(prefix)} ORDER BY 1"
    )


def statement_sql(statement: str) -> str:
    """One user's statement after SET SESSION TRANSACTION READ ONLY: every transaction of the session is
    read-only, an autocommitted statement's too (run by `statement_command`)."""
    return f"SET SESSION TRANSACTION READ ONLY;\n{statement.strip().rstrip(';').rstrip()};\n"


def statement_command(option_file: str, database: str) -> ClientCommand:
    """`mariadb` running the statements of its stdin (`statement_sql`) with `database` as the default."""
    return ClientCommand([*_mariadb(option_file), f"--database={database}"])


def drop_database_sql(database: str) -> str:
    return f"DROP DATABASE IF EXISTS {_identifier(database)}"


def analyze_sql(database: str, tables: list[str]) -> str:
    """ANALYZE TABLE of every table of `database` (nothing to run without tables)."""
    return f"ANALYZE TABLE {', '.join(f'{_identifier(database)}.{_identifier(t)}' for t in tables)}"


def restore_commands(
    option_file: str,
    dump: str,
    database: str,
    into: str | None = None,
    drop: bool = False,
    tables: list[str] | None = None,
) -> RestoreCommands:
    """The restore of one database from its `mariadb-dump --databases` file `dump`: DROP (with
    `drop`), the file decompressed into `mariadb`, then ANALYZE TABLE of `tables`."""
    return database_restore(_mariadb(option_file), dump, database, into, drop, tables)


def database_restore(
    client: list[str], dump: str, database: str, into: str | None, drop: bool, tables: list[str] | None
) -> RestoreCommands:
    """The restore of one database's dump `dump` by `client` (the engine's client with its option
    file; MySQL's too): DROP (with `drop`), the file decompressed into it, then ANALYZE TABLE."""
    into = into or database
    return RestoreCommands(
        database=database,
        into=into,
        load=[ClientCommand([*DECOMPRESS, dump]), ClientCommand(client)],
        drop=ClientCommand([*client, "-e", drop_database_sql(into)]) if drop else None,
        analyze=ClientCommand([*client, "-e", analyze_sql(into, tables)]) if tables else None,
    )
