"""The MySQL server a dump is restored into, or a drill loads into scratch databases: MariaDB's
(`mariadb.server.MariaDBServer`) with MySQL's commands, its users loaded from the users' file
(`mysql.sql`), its scratch databases marked by a function (MySQL's databases have no COMMENT)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ...model import DatabaseUrl
from ..clients import Transform, run_client
from ..common import lines_of
from ..engine import Server
from ..mariadb.dump import option_file
from ..mariadb.server import MariaDBServer
from . import commands as my
from . import sql


class MySQLServer(MariaDBServer):
    engine = my.NAME
    my = my

    def load_globals(self, text: str) -> str:
        existing = set()
        for line in lines_of(self._query(my.USERS_SQL, "listing the users")):
            user, _tab, host = line.partition("\t")
            existing.add((user, host.lower()))
        filtered, kept = sql.without_accounts(text, existing)
        run_client(my.load_command(self.options), "loading the users", filtered)
        return (
            f"loaded the users and their grants; kept as they are (they exist): {', '.join(kept) or 'none'}"
        )

    def scratch_transform(self, database: str, scratch: str, dump_client: str, marker: str) -> Transform:
        return lambda lines: sql.into_scratch(lines, database, scratch, marker)


@contextlib.contextmanager
def mysql_server(url: DatabaseUrl, password: str | None) -> Iterator[Server]:
    """The server of `url`, its settings in a private option file for as long as it is used."""
    with option_file(url, password) as options:
        yield MySQLServer(url, options)
