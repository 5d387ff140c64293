"""The MariaDB server a dump is restored into, or a drill loads into scratch databases
(`databases.restore` drives it through `engine.Server`): what it holds, its users, the command lines of
`mariadb.commands` run through `databases.clients`, its settings in the private option file."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from ...model import DatabaseUrl
from ..clients import Transform, client_version, run_client, run_pipeline
from ..common import dump_version_problem, first_value, lines_of
from ..engine import DumpedDatabase, RestoreCommands, Server, TableKey
from ..manifest import warn
from . import commands as my
from . import sql
from .dump import option_file
from .restore import load_in_parallel


class MariaDBServer:
    """A MariaDB server; MySQL's (`mysql.server`) is this one with MySQL's commands (`my`) and users."""

    engine = my.NAME
    maintenance = ""
    my = my

    def __init__(self, url: DatabaseUrl, options: str) -> None:
        self.options, self.where = options, url.without_password()
        self._free: int | None = None

    def _query(self, sql: str, what: str) -> str:
        return run_client(self.my.query_command(self.options), what, sql)

    def dump_version_problem(self, dump_client: str) -> str | None:
        my = self.my
        server = run_client(my.server_version_command(self.options), f"cannot connect to {self.where}")
        other = my.other_server(server)
        if other:
            return f"{self.where}: {other}; nothing was restored"
        here = my.parse_client_version(client_version(my.load_client_version_command()))
        try:
            dump = my.parse_client_version(dump_client)
        except ValueError:
            return None
        return dump_version_problem(my.CLIENT, dump, my.LOAD_CLIENT, here, my.SAME_MAJOR)

    def databases(self) -> list[str]:
        return lines_of(
            run_client(self.my.list_databases_command(self.options), f"cannot connect to {self.where}")
        )

    def is_empty(self, name: str) -> bool:
        return self._query(self.my.user_objects_sql(name), f"looking into database {name!r}").strip() == "0"

    def load_globals(self, text: str) -> str:
        users = set()
        for line in lines_of(self._query(my.USERS_SQL, "listing the users")):
            user, _tab, host = line.partition("\t")
            users.add((user, host.lower()))
        filtered, kept = sql.my_globals(text, users)
        if not sql.my_can_grant_proxy(self._query("SHOW GRANTS", "listing the grants of the user")):
            filtered, proxied = sql.my_without_proxy(filtered)
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
        return self.my.restore_commands(self.options, str(database.file), database.name, into, drop, tables)

    def load_database(
        self, commands: RestoreCommands, transform: Transform | None, what: str, jobs: int, spool: Path
    ) -> str:
        """Load one database's script, on up to `jobs` connections (`mariadb.restore`; 1: its script
        into one client, as it is), at most half the server's free connections; its warnings."""
        jobs = max(1, min(jobs, self.free_connections() // 2)) if jobs > 1 else 1
        if jobs == 1:
            return run_pipeline(commands.load, what, transform)
        # the client that creates the database says when it has run a table's CREATE TABLE, at once
        decompress, creator = commands.load
        commands = dataclasses.replace(commands, load=[decompress, self.my.unbuffered(creator)])
        return load_in_parallel(commands, self.my.load_command(self.options), transform, what, jobs, spool)

    def free_connections(self) -> int:
        """How many more sessions the server takes (max_connections less those connected; asked once)."""
        if self._free is None:
            self._free = int(self._query(my.FREE_CONNECTIONS_SQL, "asking the server's free connections"))
        return self._free

    def restore_transform(self, dump_client: str, create: bool) -> Transform | None:
        return None  # the dump's CREATE DATABASE IF NOT EXISTS keeps a database that exists

    def scratch_transform(self, database: str, scratch: str, dump_client: str, marker: str) -> Transform:
        return lambda lines: sql.my_into_scratch(lines, database, scratch, marker)

    def scratch_databases(self, prefix: str) -> dict[str, str]:
        output = self._query(self.my.scratch_databases_sql(prefix), "listing the scratch databases")
        return dict(line.partition("\t")[::2] for line in lines_of(output))

    def count_rows(self, into: str, database: str) -> dict[TableKey, int]:
        tables = [
            line.split("\t")[1]
            for line in lines_of(self._query(self.my.tables_sql([into]), "listing the tables"))
        ]
        if not tables:
            return {}
        output = self._query(
            self.my.count_rows_sql([(into, table) for table in tables]), f"counting the rows of {into}"
        )
        return {(database, line.split("\t")[1]): int(line.split("\t")[2]) for line in lines_of(output)}

    def query_value(self, into: str, statement: str) -> str | None:
        output = run_client(
            self.my.statement_command(self.options, into),
            f"running a VERIFY_SQL statement on {into}",
            self.my.statement_sql(statement),
        )
        return first_value(output, "\t")

    def drop(self, name: str) -> None:
        self._query(self.my.drop_database_sql(name), f"dropping database {name!r}")


@contextlib.contextmanager
def mariadb_server(url: DatabaseUrl, password: str | None) -> Iterator[Server]:
    """The server of `url`, its settings in a private option file for as long as it is used."""
    with option_file(url, password) as options:
        yield MariaDBServer(url, options)
