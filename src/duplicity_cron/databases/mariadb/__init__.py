"""MariaDB: the engine object the registry lists. Pure; its command lines and SQL are
`commands` and `sql`, its dump `dump` (with the private option file), the server restored into `server`.
A MySQL server is refused (the `mysql` engine backs it up): a `mariadb://` URL reaching one, by the
dump's and the restore's server check (`commands.other_server`), which says to use `mysql://`."""

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
    from .server import mariadb_server  # imported here: it runs clients, and the registry stays pure

    return mariadb_server(url, password)


ENGINE = ServerEngine(
    name=commands.NAME,
    schemes=("mariadb",),
    password_variable=commands.PASSWORD_VARIABLE,
    dump_client=commands.CLIENT,
    restore_client=commands.LOAD_CLIENT,
    image="mariadb",
    programs=("mariadb", "mariadb-dump", "mysql", "mysqldump"),
    dump=_dump,
    server=_server,
)
