"""MySQL: the command lines of MySQL's own `mysqldump` and `mysql` for one server.

Pure. The same shape as `mariadb.commands` (the names `mariadb.dump` and `mariadb.server` call), and
its SQL where MySQL's is the same (the private option file, the tables, the row counts, a database's
objects, VERIFY_SQL's read-only session, DROP and ANALYZE). What differs:

- the clients: MySQL's `mysqldump` and `mysql` (MariaDB's cannot back up a MySQL server that restores:
  docs/how-to/mysql.md), and a server whose version says MariaDB is refused;
- the dump: `--set-gtid-purged=OFF` (a server with GTIDs, MySQL 9's default, would otherwise have
  `SET @@GLOBAL.GTID_PURGED` in it, which fails on any server with GTIDs of its own), utf8mb4,
  `--no-tablespaces` (dumping them needs the PROCESS privilege; the tables still name theirs);
  mysqldump writes many rows a line, so the manifest's rows are counted in a consistent snapshot of the
  runner's own just before the dump (`count_rows_sql`): exact when nobody writes meanwhile;
- the users: mysqldump has no dump of them (mysqlpump is gone since 8.4): `SHOW CREATE USER` (its
  hashes in hex, `print_identified_with_as_hex`) and `SHOW GRANTS` of every account but MySQL's own
  reserved ones (`users_script`, written by `mysql.sql.users_file`);
- a drill's scratch database has no COMMENT in MySQL: its marker is the comment of a function
  `duplicity_cron_drill` created in it first (`mysql.sql`).
"""

from __future__ import annotations

from ..common import parse_version
from ..engine import ClientCommand, RestoreCommands, Version
from ..mariadb.commands import (
    CONNECT_TIMEOUT,
    NO_DATA_ENGINES,
    PASSWORD_VARIABLE,
    SYSTEM_DATABASES,
    TRAILER,
    count_rows_sql,
    database_restore,
    drop_database_sql,
    option_file_text,
    parse_server_version,
    sql_string,
    statement_sql,
    tables_sql,
    user_databases,
    user_objects_sql,
)
from ..mariadb.sql import my_identifier

NAME = "mysql"
CLIENT = "mysqldump"
LOAD_CLIENT = "mysql"
SAME_MAJOR = False  # compared by major.minor: 9.7 is newer than 9.1
# MySQL's reserved accounts (made by the server's initialisation, locked): never dumped. root and every
# other account are; a restore keeps an account that exists as it is (a fresh server's root).
SYSTEM_ACCOUNTS = (
    ("mysql.infoschema", "localhost"),
    ("mysql.session", "localhost"),
    ("mysql.sys", "localhost"),
)
DRILL_FUNCTION = "duplicity_cron_drill"  # a drill's scratch database's marker: this function's COMMENT

_BATCH = ["--batch", "--skip-column-names"]


def _mysql(option_file: str, *, raw: bool = True) -> list[str]:
    return [
        LOAD_CLIENT, f"--defaults-extra-file={option_file}", *_BATCH, *(["--raw"] if raw else []),
        "--default-character-set=utf8mb4",
    ]  # fmt: skip


def version_command() -> ClientCommand:
    return ClientCommand([CLIENT, "--version"])


def parse_client_version(text: str) -> Version:
    """`mysqldump  Ver 9.7.4-2 for Linux on x86_64 ((Debian))` (8.0 and later) or `mysqldump  Ver 10.13
    Distrib 5.7.44, for Linux` (before)."""
    return parse_version(text, r"(?:Distrib |Ver )(\d+)\.(\d+)\.\d+")


def counts_rows_in_dump(client: Version) -> bool:
    """mysqldump writes a whole extended INSERT a line: its rows are counted by `count_rows_sql`."""
    return False


def server_version_command(option_file: str) -> ClientCommand:
    return ClientCommand([*_mysql(option_file), "-e", "SELECT VERSION()"])


def other_server(server_version: str) -> str | None:
    """Why a server whose `SELECT VERSION()` is `server_version` is not MySQL, or None: MariaDB's says
    so (`11.8.3-MariaDB-1 from Debian`), and its users are not MySQL's."""
    if "mariadb" not in server_version.lower():
        return None
    return (
        f"the server is not MySQL but MariaDB (version {server_version.strip()[:40]}): use a mariadb:// "
        "URL (the duplicity-mariadb image has MariaDB's client)"
    )


def list_databases_command(option_file: str) -> ClientCommand:
    return ClientCommand([*_mysql(option_file), "-e", "SHOW DATABASES"])


def query_command(option_file: str) -> ClientCommand:
    """`mysql` running the statements of its stdin (`tables_sql`, `count_rows_sql`, `users_script`)."""
    return ClientCommand(_mysql(option_file))


def escaped_query_command(option_file: str) -> ClientCommand:
    """`mysql` running the statements of its stdin, each value on one line: a tab, newline, NUL and
    backslash in it escaped (`\\t`, `\\n`, `\\0`, `\\\\`; `mysql.sql.unescape`)."""
    return ClientCommand(_mysql(option_file, raw=False))


# --- Users -----------------------------------------------------------------------------------------

ACCOUNTS_SQL = "SELECT user, host FROM mysql.user ORDER BY user, host"
ACCOUNT_SEPARATOR = "--"  # a row of its own before each account's statements (`users_script`)


def dumped_accounts(accounts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The accounts whose users and grants are dumped: all but MySQL's reserved ones."""
    return [account for account in accounts if account not in SYSTEM_ACCOUNTS]


def users_script(accounts: list[tuple[str, str]]) -> str:
    """For each account, a row `--`, then its CREATE USER (its password hash in hex, so that the salt's
    control bytes are not written raw) and its GRANTs, one row each (`escaped_query_command`)."""
    lines = ["SET SESSION print_identified_with_as_hex = ON;"]
    for user, host in accounts:
        account = f"{sql_string(user)}@{sql_string(host)}"
        lines += [
            f"SELECT '{ACCOUNT_SEPARATOR}';",
            f"SHOW CREATE USER {account};",
            f"SHOW GRANTS FOR {account};",
        ]
    return "\n".join(lines) + "\n"


def dump_command(option_file: str, database: str) -> ClientCommand:
    """`mysqldump` of one database with its routines, events, triggers and views (and its CREATE
    DATABASE), one consistent snapshot for InnoDB, in utf8mb4 (binary columns as `_binary` strings),
    without GTID_PURGED."""
    argv = [
        CLIENT, f"--defaults-extra-file={option_file}",
        "--single-transaction", "--routines", "--events", "--triggers", "--set-gtid-purged=OFF",
        "--no-tablespaces", "--default-character-set=utf8mb4", "--comments", "--databases", database,
    ]  # fmt: skip
    return ClientCommand(argv)


# --- Restore ---------------------------------------------------------------------------------------

USERS_SQL = ACCOUNTS_SQL


def load_client_version_command() -> ClientCommand:
    return ClientCommand([LOAD_CLIENT, "--version"])


def load_command(option_file: str) -> ClientCommand:
    """`mysql` running the script of its stdin, stopping at the first error."""
    return ClientCommand(_mysql(option_file))


def scratch_databases_sql(prefix: str) -> str:
    """The databases whose names start with `prefix` and their markers (the COMMENT of their function
    DRILL_FUNCTION; "" for none)."""
    return (
        "SELECT s.schema_name, IFNULL(r.routine_comment, '') FROM information_schema.schemata s "
        "LEFT JOIN information_schema.routines r ON r.routine_schema = s.schema_name "
        f"AND r.routine_name = {sql_string(DRILL_FUNCTION)} AND r.routine_type = 'FUNCTION' "
        f"WHERE LEFT(s.schema_name, {len(prefix)}) = {sql_string(prefix)} ORDER BY 1"
    )


def drill_marker_sql(marker: str) -> str:
    """The statement that marks the database in use as a drill's (one line, after its USE)."""
    return (
        f"CREATE FUNCTION {my_identifier(DRILL_FUNCTION)}() RETURNS INT DETERMINISTIC NO SQL "
        f"COMMENT {sql_string(marker)} RETURN 1;\n"
    )


def statement_command(option_file: str, database: str) -> ClientCommand:
    """`mysql` running the statements of its stdin (`statement_sql`) with `database` as the default."""
    return ClientCommand([*_mysql(option_file), f"--database={database}"])


def restore_commands(
    option_file: str,
    dump: str,
    database: str,
    into: str | None = None,
    drop: bool = False,
    tables: list[str] | None = None,
) -> RestoreCommands:
    """The restore of one database from its `mysqldump --databases` file `dump`: DROP (with `drop`),
    the file decompressed into `mysql`, then ANALYZE TABLE of `tables`."""
    return database_restore(_mysql(option_file), dump, database, into, drop, tables)


__all__ = [
    "CONNECT_TIMEOUT", "NO_DATA_ENGINES", "PASSWORD_VARIABLE", "SYSTEM_DATABASES", "TRAILER",
    "count_rows_sql", "drop_database_sql", "option_file_text", "parse_server_version", "statement_sql",
    "tables_sql", "user_databases", "user_objects_sql",
]  # fmt: skip
