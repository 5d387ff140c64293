"""The server a dump is loaded into, one class per engine with the same few methods (`load_dump` drives
them): what it holds, its roles/users, the command lines of `sources.postgresql` / `sources.mariadb`
run through `runner.clients`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config.database_url import MARIADB, POSTGRESQL, without_password
from ..model import DatabaseUrl
from ..sources import mariadb as my
from ..sources import postgresql as pg
from ..sources import sql_filters
from ..sources.common import ClientCommand, RestoreCommands, TableKey, dump_version_problem
from .clients import DumpError, Transform, run_client
from .dump_manifest import DumpRequest, warn
from .dump_mariadb import option_file

FIELD_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class DumpedDatabase:
    """One database of a dump, as its manifest lists it."""

    name: str
    file: Path
    rows: dict[TableKey, int | None] = field(default_factory=dict)


class Server(Protocol):
    engine: str
    where: str  # the URL without its password, for messages
    maintenance: str  # the database the clients connect to ("" for none): loaded alone, first

    def dump_version_problem(self, dump_client: str) -> str | None: ...
    def databases(self) -> list[str]: ...
    def is_empty(self, name: str) -> bool: ...
    def load_globals(self, text: str) -> str: ...
    def restore_commands(self, database: DumpedDatabase, into: str, drop: bool) -> RestoreCommands: ...
    def restore_transform(self, dump_client: str, create: bool) -> Transform | None: ...
    def scratch_transform(self, database: str, scratch: str, dump_client: str) -> Transform: ...
    def count_rows(self, into: str, database: str) -> dict[TableKey, int]: ...
    def drop(self, name: str) -> None: ...


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def _client_version(command: ClientCommand, what: str) -> str:
    return run_client(command, f"{what} --version").strip()


class PostgresServer:
    engine = POSTGRESQL
    maintenance = pg.MAINTENANCE_DATABASE

    def __init__(self, url: DatabaseUrl, password: str | None) -> None:
        self.url, self.password, self.where = url, password, without_password(url)
        self._major: int | None = None

    def major(self) -> int:
        """The server's major (asked once): what of a newer pg_dump's script it knows."""
        if self._major is None:
            command = pg.server_version_command(self.url, self.password)
            self._major = pg.parse_server_version(run_client(command, "asking the server's version"))[0][0]
        return self._major

    def _older_than(self, dump_client: str) -> bool:
        try:
            return pg.parse_client_version(dump_client)[0] > self.major()
        except ValueError:
            return True  # a manifest without the client's version: filter, to be safe

    def _query(self, sql: str, what: str, database: str | None = None) -> str:
        return run_client(pg.query_command(self.url, self.password, sql, database), what)

    def dump_version_problem(self, dump_client: str) -> str | None:
        here = pg.parse_client_version(_client_version(pg.load_client_version_command(), "psql"))
        try:
            dump = pg.parse_client_version(dump_client)
        except ValueError:
            return None  # a manifest without the client's version: nothing to compare
        return dump_version_problem("pg_dump", dump, "psql", here, pg.SAME_MAJOR)

    def databases(self) -> list[str]:
        return _lines(self._query(pg.ALL_DATABASES_SQL, f"cannot connect to {self.where}"))

    def is_empty(self, name: str) -> bool:
        return self._query(pg.USER_OBJECTS_SQL, f"looking into database {name!r}", name).strip() == "0"

    def load_globals(self, text: str) -> str:
        roles = set(_lines(self._query(pg.ROLES_SQL, "listing the roles")))
        spaces = set(_lines(self._query(pg.TABLESPACES_SQL, "listing the tablespaces")))
        filtered, kept = sql_filters.pg_globals(text, roles, spaces)
        run_client(pg.load_command(self.url, self.password), "loading the roles", filtered)
        return f"loaded the roles; kept as they are (they exist): {', '.join(kept) or 'none'}"

    def restore_commands(self, database: DumpedDatabase, into: str, drop: bool) -> RestoreCommands:
        return pg.restore_commands(self.url, self.password, str(database.file), database.name, into, drop)

    def restore_transform(self, dump_client: str, create: bool) -> Transform | None:
        """pg_dump's script adapted to this server's major when the dump's pg_dump is newer, and
        without its CREATE DATABASE into one that exists (None: it goes to psql as it is, fastest)."""
        if create and not self._older_than(dump_client):
            return None
        major = self.major()
        return lambda lines: sql_filters.pg_for_server(lines, major, create)

    def scratch_transform(self, database: str, scratch: str, dump_client: str) -> Transform:
        major = self.major()
        return lambda lines: sql_filters.pg_into_scratch(sql_filters.pg_for_server(lines, major), scratch)

    def count_rows(self, into: str, database: str) -> dict[TableKey, int]:
        command = pg.count_rows_command(self.url, self.password, into)
        argv = [*command.argv[:-2], "-F", FIELD_SEPARATOR, *command.argv[-2:]]
        output = run_client(ClientCommand(argv, command.env), f"counting the rows of {into}")
        found = {}
        for line in _lines(output):
            schema, table, rows, _size = line.split(FIELD_SEPARATOR)
            found[(schema, table)] = int(rows)
        return found

    def drop(self, name: str) -> None:
        run_client(pg.drop_database_command(self.url, self.password, name), f"dropping database {name!r}")


class MariaDBServer:
    engine = MARIADB
    maintenance = ""

    def __init__(self, url: DatabaseUrl, options: str) -> None:
        self.options, self.where = options, without_password(url)

    def _query(self, sql: str, what: str) -> str:
        return run_client(my.query_command(self.options), what, sql)

    def dump_version_problem(self, dump_client: str) -> str | None:
        here = my.parse_client_version(_client_version(my.load_client_version_command(), "mariadb"))
        try:
            dump = my.parse_client_version(dump_client)
        except ValueError:
            return None
        return dump_version_problem("mariadb-dump", dump, "mariadb", here, my.SAME_MAJOR)

    def databases(self) -> list[str]:
        return _lines(run_client(my.list_databases_command(self.options), f"cannot connect to {self.where}"))

    def is_empty(self, name: str) -> bool:
        return self._query(my.user_objects_sql(name), f"looking into database {name!r}").strip() == "0"

    def load_globals(self, text: str) -> str:
        users = set()
        for line in _lines(self._query(my.USERS_SQL, "listing the users")):
            user, _tab, host = line.partition("\t")
            users.add((user, host.lower()))
        filtered, kept = sql_filters.my_globals(text, users)
        if not sql_filters.my_can_grant_proxy(self._query("SHOW GRANTS", "listing the grants of the user")):
            filtered, proxied = sql_filters.my_without_proxy(filtered)
            if proxied:
                warn(
                    f"left out the PROXY grant(s) of {', '.join(proxied)}: only a user who may grant "
                    "PROXY on every user (root: PROXY ON ''@'%' WITH GRANT OPTION) can load them; grant "
                    "them as root"
                )
        run_client(my.load_command(self.options), "loading the users", filtered)
        return (
            f"loaded the users and their grants; kept as they are (they exist): {', '.join(kept) or 'none'}"
        )

    def restore_commands(self, database: DumpedDatabase, into: str, drop: bool) -> RestoreCommands:
        tables = sorted(table for _schema, table in database.rows)
        return my.restore_commands(self.options, str(database.file), database.name, into, drop, tables)

    def restore_transform(self, dump_client: str, create: bool) -> Transform | None:
        return None  # the dump's CREATE DATABASE IF NOT EXISTS keeps a database that exists

    def scratch_transform(self, database: str, scratch: str, dump_client: str) -> Transform:
        return lambda lines: sql_filters.my_into_scratch(lines, database, scratch)

    def count_rows(self, into: str, database: str) -> dict[TableKey, int]:
        tables = [
            line.split("\t")[1] for line in _lines(self._query(my.tables_sql([into]), "listing the tables"))
        ]
        if not tables:
            return {}
        output = self._query(
            my.count_rows_sql([(into, table) for table in tables]), f"counting the rows of {into}"
        )
        return {(database, line.split("\t")[1]): int(line.split("\t")[2]) for line in _lines(output)}

    def drop(self, name: str) -> None:
        self._query(my.drop_database_sql(name), f"dropping database {name!r}")


@contextlib.contextmanager
def server_for(url: DatabaseUrl, password: str | None) -> Iterator[Server]:
    """The server of `url` (MariaDB's settings in a private option file for as long as it is used)."""
    if url.engine == MARIADB:
        with option_file(DumpRequest(url, (), password)) as options:
            yield MariaDBServer(url, options)
    else:
        yield PostgresServer(url, password)


__all__ = ["DumpError", "DumpedDatabase", "Server", "server_for"]
