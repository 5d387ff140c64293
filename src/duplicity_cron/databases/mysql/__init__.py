"""MySQL: the engine object the registry lists, with MySQL's own clients (the `mysql` image). Pure; its
command lines and SQL are `commands` and `sql`, its dump `dump` (MariaDB's, `mariadb.dump.dump_with`,
with MySQL's commands and users), the server restored into `server` (MariaDB's, with MySQL's commands).
A MariaDB server is refused by the dump's and the restore's server check (`commands.other_server`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from ...model import DatabaseUrl
from ..engine import Server, ServerEngine
from . import commands

if TYPE_CHECKING:
    from ..manifest import ServerDump
    from ..steps import DumpRequest


def _dump(request: DumpRequest, src: Path) -> ServerDump:
    from .dump import dump_server  # imported here: it runs clients, and the registry stays pure

    return dump_server(request, src)


def _server(url: DatabaseUrl, password: str | None) -> AbstractContextManager[Server]:
    from .server import mysql_server  # imported here: it runs clients, and the registry stays pure

    return mysql_server(url, password)


ENGINE = ServerEngine(
    name=commands.NAME,
    schemes=("mysql",),
    password_variable=commands.PASSWORD_VARIABLE,
    dump_client=commands.CLIENT,
    restore_client=commands.LOAD_CLIENT,
    image="mysql",
    programs=("mysql", "mysqldump", "mysqladmin"),
    dump=_dump,
    server=_server,
)
