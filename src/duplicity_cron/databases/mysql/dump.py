"""The built-in dump of a MySQL server: MariaDB's (`mariadb.dump.dump_with`) with MySQL's commands, and
its users and grants from `SHOW CREATE USER` and `SHOW GRANTS` (`mysql.sql.users_file`)."""

from __future__ import annotations

from pathlib import Path

from ..clients import run_client
from ..common import lines_of
from ..engine import DumpError
from ..manifest import ServerDump
from ..mariadb.dump import dump_with
from ..steps import DumpRequest
from . import commands as my
from .sql import users_file


def dump_users(options: str) -> str:
    """Every account but MySQL's reserved ones: its CREATE USER and GRANTs (the users' file)."""
    listed = run_client(my.query_command(options), "listing the users", my.ACCOUNTS_SQL)
    accounts = my.dumped_accounts(
        [(line.partition("\t")[0], line.partition("\t")[2]) for line in lines_of(listed)]
    )
    output = run_client(my.escaped_query_command(options), "dumping the users", my.users_script(accounts))
    try:
        return users_file(accounts, output)
    except ValueError as exc:
        raise DumpError(f"dumping the users: SHOW CREATE USER and SHOW GRANTS gave {exc}") from None


def dump_server(request: DumpRequest, src: Path) -> ServerDump:
    return dump_with(request, src, my, dump_users)
