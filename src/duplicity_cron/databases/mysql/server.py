"""The MySQL server a dump is restored into, or a drill loads into scratch databases: MariaDB's
(`mariadb.server.MariaDBServer`) with MySQL's commands, its users loaded from the users' file
(`mysql.sql`), its scratch databases marked by a function (MySQL's databases have no COMMENT)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ...model import DatabaseUrl
from ..clients import Transform, run_client
from ..common import lines_of
from ..engine import RestoreCommands, Server
from ..mariadb.dump import option_file
from ..mariadb.server import MariaDBServer
from . import commands as my
from . import sql


class MySQLServer(MariaDBServer):
    engine = my.NAME
    my = my

    def __init__(self, url: DatabaseUrl, options: str) -> None:
        super().__init__(url, options)
        self.grants: dict[str, list[str]] = {}  # by database: loaded after it (`sql.object_grants`)

    def load_globals(self, text: str) -> str:
        existing = set()
        for line in lines_of(self._query(my.USERS_SQL, "listing the users")):
            user, _tab, host = line.partition("\t")
            existing.add((user, host.lower()))
        filtered, kept = sql.without_accounts(text, existing)
        filtered, self.grants = sql.object_grants(filtered)
        run_client(my.load_command(self.options), "loading the users", filtered)
        later = sum(map(len, self.grants.values()))
        return (
            f"loaded the users and their grants ({later} on tables or routines: after their database); "
            f"kept as they are (they exist): {', '.join(kept) or 'none'}"
        )

    def load_database(
        self, commands: RestoreCommands, transform: Transform | None, what: str, jobs: int, spool: Path
    ) -> str:
        """One client, whatever CONF_RESTORE_JOBS says: the parallel load reads mariadb-dump's script
        (`mariadb.script`), and mysqldump's has not been measured through it."""
        return super().load_database(commands, transform, what, 1, spool)

    def restore_transform(self, dump_client: str, create: bool) -> Transform | None:
        # self.grants is read as the script streams by: load_globals has set it by then
        return lambda lines: sql.with_grants(lines, self.grants)

    def scratch_transform(self, database: str, scratch: str, dump_client: str, marker: str) -> Transform:
        return lambda lines: sql.into_scratch(lines, database, scratch, marker)


@contextlib.contextmanager
def mysql_server(url: DatabaseUrl, password: str | None) -> Iterator[Server]:
    """The server of `url`, its settings in a private option file for as long as it is used."""
    with option_file(url, password) as options:
        yield MySQLServer(url, options)
