"""The built-in dump of a MariaDB server: the private option file, version check (a MySQL server is
refused), users and grants, a warning naming the tables outside InnoDB, then the databases dumped
concurrently, their rows counted in the dump on its way to the compressor (see `mariadb.commands`).
MySQL's dump (`mysql.dump`) is this one with MySQL's commands and users: `dump_with`."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from ...model import DatabaseUrl
from ..clients import client_version, dump_to_file, each_at_once, run_client
from ..common import cut_short, dump_file, ends_with, missing_data, select_databases, version_problem
from ..engine import DumpError, TableKey
from ..manifest import GLOBALS_FILE, DatabaseDump, ServerDump, TableInfo, say, warn
from ..rows.insert_rows import InsertRowCounter
from ..steps import DumpRequest
from . import commands as my

JOBS = 2
TRANSACTIONAL_ENGINES = ("InnoDB",)  # --single-transaction gives them one consistent snapshot


@contextlib.contextmanager
def option_file(url: DatabaseUrl, password: str | None) -> Iterator[str]:
    """The connection settings in a file of mode 600 inside a folder of mode 700, removed after."""
    folder = tempfile.mkdtemp(prefix="duplicity-cron-my-")
    try:
        path = os.path.join(folder, "client.cnf")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(my.option_file_text(url, password))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def dump_server(request: DumpRequest, src: Path) -> ServerDump:
    return dump_with(
        request, src, my, lambda options: run_client(my.globals_command(options), "dumping the users")
    )


def dump_with(
    request: DumpRequest, src: Path, commands: ModuleType, users: Callable[[str], str]
) -> ServerDump:
    """The dump by the command lines of `commands` (`mariadb.commands`, `mysql.commands`: the same
    names), the users and grants written by `users(option file)`."""
    with option_file(request.url, request.password) as options:
        return _dump_server(request, src, options, commands, users)


def _dump_server(
    request: DumpRequest, src: Path, options: str, my: ModuleType, users: Callable[[str], str]
) -> ServerDump:
    where = request.url.without_password()
    client_text = client_version(my.version_command())
    client = my.parse_client_version(client_text)
    server_text = run_client(my.server_version_command(options), f"cannot connect to {where}").strip()
    other = my.other_server(server_text)
    if other:
        raise DumpError(f"{where}: {other}; nothing was dumped")
    problem = version_problem(my.CLIENT, client, my.parse_server_version(server_text), my.SAME_MAJOR)
    if problem:
        raise DumpError(f"{where}: {problem}; nothing was dumped")
    listed = my.user_databases(
        run_client(my.list_databases_command(options), "listing the databases").split("\n")
    )
    listed = [name for name in listed if name]
    try:
        names = select_databases(listed, request.databases, request.url.database)
    except ValueError as exc:
        raise DumpError(f"TASK DATABASES: {exc}") from exc
    tables = _tables(my, options, names)
    others = [f"{t.schema}.{t.name} ({t.engine})" for t in tables if t.engine not in TRANSACTIONAL_ENGINES]
    warnings = []
    if others:
        warnings.append("not in one consistent snapshot (only InnoDB tables are): " + ", ".join(others))
        warn(warnings[-1])
    (src / GLOBALS_FILE).write_text(users(options), encoding="utf-8")
    in_dump = my.counts_rows_in_dump(client)
    dumps = each_at_once(
        names,
        lambda name: _dump_database(my, options, name, [t for t in tables if t.schema == name], src, in_dump),
        JOBS,
    )
    return ServerDump(
        engine=my.NAME,
        client_version=client_text,
        server_version=server_text,
        globals_file=GLOBALS_FILE,
        databases=dumps,
        warnings=warnings,
        rows_in_dump_snapshot=in_dump,
    )


def _tables(my: ModuleType, options: str, databases: list[str]) -> list[TableInfo]:
    if not databases:
        return []
    output = run_client(my.query_command(options), "listing the tables", my.tables_sql(databases))
    found = []
    for line in output.splitlines():
        schema, name, engine, size = line.split("\t")
        found.append(TableInfo(schema, name, None, None if size == "NULL" else int(size), engine))
    return found


def _dump_database(
    my: ModuleType, options: str, name: str, tables: list[TableInfo], src: Path, rows_in_dump: bool
) -> DatabaseDump:
    """The dump, its rows counted and compressed on their way into the file; with a client too old
    for counting them so, a COUNT(*) of every table first, in a consistent snapshot of its own."""
    clock = time.monotonic()
    if tables and not rows_in_dump:
        sql = my.count_rows_sql([(table.schema, table.name) for table in tables])
        output = run_client(my.query_command(options), f"counting the rows of database {name!r}", sql)
        counts = {tuple(line.split("\t")[:2]): int(line.split("\t")[2]) for line in output.splitlines()}
        for table in tables:
            table.rows = counts.get((table.schema, table.name))
    file = dump_file(name)
    # an older client's counts are not the dump's (a whole INSERT a line), its tables' ends still are
    counter = InsertRowCounter(name)
    what = f"{my.CLIENT} of database {name!r}"
    size = dump_to_file(my.dump_command(options, name), src / file, what, counter)
    seen = counter.finish()
    tables = _check(my, options, name, tables, seen, counter.tail)
    if rows_in_dump:
        for table in tables:
            table.rows = seen.get((table.schema, table.name))
    seconds = time.monotonic() - clock
    say(f"dumped database {name}: {len(tables)} tables, {size / 1e6:.1f} MB in {seconds:.1f} s")
    return DatabaseDump(name, file, size, round(seconds, 3), tables)


def _check(
    my: ModuleType,
    options: str,
    name: str,
    tables: list[TableInfo],
    seen: dict[TableKey, int | None],
    tail: bytes,
) -> list[TableInfo]:
    """DumpError when the dump does not hold the data of a table listed before it, or does not end as
    a complete one does; the tables listed, but those dropped meanwhile (the listing is not the dump's
    snapshot: they are listed again to tell, and named in a warning)."""
    with_data = [(t.schema, t.name) for t in tables if t.engine not in my.NO_DATA_ENGINES]
    if missing_data(name, my.CLIENT, with_data, seen) is not None:
        still = {(t.schema, t.name) for t in _tables(my, options, [name])}
        for table in tables:
            if (table.schema, table.name) not in still:
                warn(f"database {name!r}, table {table.name}: dropped during the dump, not in it")
        tables = [t for t in tables if (t.schema, t.name) in still]
        problem = missing_data(name, my.CLIENT, [key for key in with_data if key in still], seen)
        if problem is not None:
            raise DumpError(problem)
    if not ends_with(tail, my.TRAILER):
        raise DumpError(cut_short(name, my.CLIENT, my.TRAILER))
    return tables
