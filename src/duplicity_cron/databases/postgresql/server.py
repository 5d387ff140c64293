"""The PostgreSQL server a dump is restored into, or a drill loads into scratch databases
(`databases.restore` drives it through `engine.Server`): what it holds, its roles, the command lines of
`postgresql.commands` run through `databases.clients`."""

from __future__ import annotations

from pathlib import Path

from ...model import DatabaseUrl
from ..clients import Transform, client_version, run_client, run_pipeline
from ..common import dump_version_problem, first_value, lines_of
from ..engine import ClientCommand, DumpedDatabase, RestoreCommands, TableKey
from . import commands as pg
from . import sql
from .restore import load_in_parallel

FIELD_SEPARATOR = "\x1f"


class PostgresServer:
    engine = pg.NAME
    maintenance = pg.MAINTENANCE_DATABASE

    def __init__(self, url: DatabaseUrl, password: str | None) -> None:
        self.url, self.password, self.where = url, password, url.without_password()
        self._major: int | None = None
        self._free: int | None = None

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
        here = pg.parse_client_version(client_version(pg.load_client_version_command()))
        try:
            dump = pg.parse_client_version(dump_client)
        except ValueError:
            return None  # a manifest without the client's version: nothing to compare
        return dump_version_problem("pg_dump", dump, "psql", here, pg.SAME_MAJOR)

    def databases(self) -> list[str]:
        return lines_of(self._query(pg.ALL_DATABASES_SQL, f"cannot connect to {self.where}"))

    def is_empty(self, name: str) -> bool:
        return self._query(pg.USER_OBJECTS_SQL, f"looking into database {name!r}", name).strip() == "0"

    def load_globals(self, text: str) -> str:
        roles = set(lines_of(self._query(pg.ROLES_SQL, "listing the roles")))
        spaces = set(lines_of(self._query(pg.TABLESPACES_SQL, "listing the tablespaces")))
        filtered, kept = sql.pg_globals(text, roles, spaces)
        run_client(pg.load_command(self.url, self.password), "loading the roles", filtered)
        return f"loaded the roles; kept as they are (they exist): {', '.join(kept) or 'none'}"

    def restore_commands(self, database: DumpedDatabase, into: str, drop: bool) -> RestoreCommands:
        return pg.restore_commands(self.url, self.password, str(database.file), database.name, into, drop)

    def free_connections(self, into: str) -> int:
        """How many more sessions the server takes from a user that is not a superuser (asked once,
        on the database the load of `into` connects to: `postgres` may be dropped meanwhile)."""
        if self._free is None:
            what = "asking the server's free connections"
            self._free = int(self._query(pg.FREE_CONNECTIONS_SQL, what, pg.maintenance_for(into)))
        return self._free

    def load_database(
        self, commands: RestoreCommands, transform: Transform | None, what: str, jobs: int, spool: Path
    ) -> str:
        """Load one database's script, on up to `jobs` connections (`postgresql.restore`; 1: its
        script into one psql, as it is), at most half the server's free connections; its warnings."""
        jobs = max(1, min(jobs, self.free_connections(commands.into) // 2))
        if jobs == 1:
            return run_pipeline(commands.load, what, transform)
        worker = pg.load_command(self.url, self.password, commands.into)
        return load_in_parallel(commands, worker, transform, what, jobs, spool)

    def restore_transform(self, dump_client: str, create: bool) -> Transform | None:
        """pg_dump's script adapted to this server's major when the dump's pg_dump is newer, and
        without its CREATE DATABASE into one that exists (None: it goes to psql as it is, fastest)."""
        if create and not self._older_than(dump_client):
            return None
        major = self.major()
        return lambda lines: sql.pg_for_server(lines, major, create)

    def scratch_transform(self, database: str, scratch: str, dump_client: str, marker: str) -> Transform:
        major = self.major()
        return lambda lines: sql.pg_into_scratch(sql.pg_for_server(lines, major), scratch, marker)

    def scratch_databases(self, prefix: str) -> dict[str, str]:
        command = pg.scratch_databases_command(self.url, self.password, prefix)
        output = run_client(command, "listing the scratch databases")
        return dict(line.partition(FIELD_SEPARATOR)[::2] for line in lines_of(output))

    def count_rows(self, into: str, database: str) -> dict[TableKey, int]:
        command = pg.count_rows_command(self.url, self.password, into)
        argv = [*command.argv[:-2], "-F", FIELD_SEPARATOR, *command.argv[-2:]]
        output = run_client(ClientCommand(argv, command.env), f"counting the rows of {into}")
        found = {}
        for line in lines_of(output):
            schema, table, rows, _size = line.split(FIELD_SEPARATOR)
            found[(schema, table)] = int(rows)
        return found

    def query_value(self, into: str, statement: str) -> str | None:
        command = pg.statement_command(self.url, self.password, into, statement, FIELD_SEPARATOR)
        output = run_client(command, f"running a VERIFY_SQL statement on {into}")
        return first_value(output, FIELD_SEPARATOR)

    def drop(self, name: str) -> None:
        run_client(pg.drop_database_command(self.url, self.password, name), f"dropping database {name!r}")
