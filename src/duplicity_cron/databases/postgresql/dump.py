"""The built-in dump of a PostgreSQL server: version check, the globals, then the databases dumped
concurrently, each from its own exported snapshot (see `postgresql.commands`); a database whose largest
table is read in parts (`postgresql.parts`) has every piece dumped at once from the database's snapshot,
each counted and compressed into a file of its own, then the files joined in order into the database's
file (zstd frames concatenate)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..clients import client_version, dump_to_file, each_at_once, error_line, run_client, start
from ..common import cut_short, dump_file, ends_with, missing_data, select_databases, version_problem
from ..engine import ClientCommand, DumpError, TableKey
from ..manifest import GLOBALS_FILE, DatabaseDump, ServerDump, TableInfo, say
from ..rows.copy_rows import CopyRowCounter, LineCounter
from ..rows.dump_rows import SectionRowCounter
from ..steps import DumpRequest
from . import commands as pg
from . import parts

JOBS = 2  # databases dumped at once: each pg_dump is one server process
FIELD_SEPARATOR = "\x1f"  # between the columns of psql's output: no name holds it


def dump_server(request: DumpRequest, src: Path) -> ServerDump:
    url, password = request.url, request.password
    client_text = client_version(pg.version_command())
    client = pg.parse_client_version(client_text)
    server_text, _newline, listing = run_client(
        pg.server_and_databases_command(url, password), f"cannot connect to {_where(request)}"
    ).partition("\n")
    server, server_shown = pg.parse_server_version(server_text)
    problem = version_problem("pg_dump", client, server, pg.SAME_MAJOR)
    if problem:
        raise DumpError(f"{_where(request)}: {problem}; nothing was dumped")
    try:
        names = select_databases(listing.split(), request.databases, url.database)
    except ValueError as exc:
        raise DumpError(f"TASK DATABASES: {exc}") from exc
    with ThreadPoolExecutor(1) as beside:  # the globals are dumped while the databases are
        globals_dump = beside.submit(
            run_client, pg.globals_command(url, password), "pg_dumpall --globals-only"
        )
        split_bytes = request.split_bytes if parts.splits(server, request.split_bytes) else None
        dumps = each_at_once(names, lambda name: _dump_database(request, name, src, split_bytes), JOBS)
        (src / GLOBALS_FILE).write_text(globals_dump.result(), encoding="utf-8")
    return ServerDump(
        engine=pg.NAME,
        client_version=client_text,
        server_version=server_shown.split(" on ")[0],
        globals_file=GLOBALS_FILE,
        databases=dumps,
        rows_in_dump_snapshot=True,
    )


def _where(request: DumpRequest) -> str:
    return request.url.without_password()


def _dump_database(request: DumpRequest, name: str, src: Path, split_bytes: int | None) -> DatabaseDump:
    """One database from one snapshot: the session exports it, picks the table to read in parts
    (with `split_bytes`) and lists the tables in it while pg_dump dumps from it, whose output is
    counted and compressed on its way into the file; the session ends when both are done."""
    clock = time.monotonic()
    command = pg.snapshot_session_command(request.url, request.password, name)
    session_command = ClientCommand([*command.argv, "-F", FIELD_SEPARATOR], command.env)
    with tempfile.TemporaryFile() as session_err:
        session = start(
            session_command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=session_err,
        )
        try:
            snapshot = _ask(session, session_err, name, pg.BEGIN_SNAPSHOT_SQL).strip()
            if not snapshot:
                raise DumpError(f"database {name!r}: {_session_error(session, session_err)}")
            if not parts.is_snapshot_name(snapshot):
                raise DumpError(
                    f"database {name!r}: the server's snapshot is not a snapshot name: {snapshot[:80]!r}"
                )
            table = None
            if split_bytes is not None:
                candidate = _ask(session, session_err, name, parts.candidate_sql(split_bytes))
                table = parts.parse_candidate(candidate)
            # the transaction stays open until pg_dump is done: pg_dump imports the snapshot after it
            # has started, and the listing may be over by then
            assert session.stdin is not None and session.stdout is not None
            session.stdin.write(((parts.lock_sql(table) if table else "") + pg.TABLES_SQL).encode())
            session.stdin.flush()
            file = dump_file(name)
            try:
                size, rows, complete = _dump(request, name, snapshot, table, src / file)
            except DumpError:
                if session.poll() not in (None, 0):
                    raise DumpError(f"database {name!r}: {_session_error(session, session_err)}") from None
                raise
            session.stdin.write(b"COMMIT;\n")
            session.stdin.close()
            listing = session.stdout.read().decode()
            if session.wait() != 0:
                raise DumpError(
                    f"listing the tables of database {name!r}: {_session_error(session, session_err)}"
                )
        finally:
            if session.poll() is None:
                session.kill()
                session.wait()
    listed = [line.split(FIELD_SEPARATOR) for line in listing.splitlines() if line.strip()]
    tables = [_table(fields, rows) for fields in listed]
    with_data = [(schema, relation) for schema, relation, *_rest, data in listed if data == "t"]
    problem = missing_data(name, pg.CLIENT, with_data, rows)
    if problem or not complete:
        raise DumpError(problem or cut_short(name, pg.CLIENT, pg.TRAILER))
    seconds = time.monotonic() - clock
    split = f", {table.schema}.{table.name} read in {parts.PARTS} parts" if table else ""
    say(f"dumped database {name}: {len(tables)} tables{split}, {size / 1e6:.1f} MB in {seconds:.1f} s")
    return DatabaseDump(name, file, size, round(seconds, 3), tables)


def _ask(session: subprocess.Popen[bytes], stderr_file: IO[bytes], name: str, sql: str) -> str:
    """The line of output the session gives for `sql` (its bytes kept: surrogateescape); DumpError
    with the session's error when it ends instead."""
    assert session.stdin is not None and session.stdout is not None
    session.stdin.write(sql.encode())
    session.stdin.flush()
    line = session.stdout.readline()
    if not line:
        raise DumpError(f"database {name!r}: {_session_error(session, stderr_file)}")
    return line.decode("utf-8", "surrogateescape")


def _dump(
    request: DumpRequest, name: str, snapshot: str, table: parts.SplitTable | None, path: Path
) -> tuple[int, dict[TableKey, int | None], bool]:
    """The database's file from `snapshot` and its size, with each table's rows counted in it, and
    whether pg_dump's output ended as a complete dump does (pg.TRAILER)."""
    if table is not None:
        return dump_in_parts(request, name, snapshot, table, path)
    counter = CopyRowCounter()
    command = pg.dump_command(request.url, request.password, name, snapshot)
    size = dump_to_file(command, path, f"pg_dump of database {name!r}", counter)
    return size, counter.finish(), ends_with(counter.tail, pg.TRAILER)


def _session_error(session: subprocess.Popen[bytes], stderr_file: IO[bytes]) -> str:
    session.wait()
    stderr_file.seek(0)
    return error_line(stderr_file.read().decode(errors="replace"))


def _table(fields: list[str], rows: dict[TableKey, int | None]) -> TableInfo:
    """A line of TABLES_SQL, with the rows the dump's COPY block of it held (None for the kinds that
    have none, and for a table whose data pg_dump leaves out, such as an extension's)."""
    schema, table, kind, size, _data = fields
    counted = rows.get((schema, table)) if kind == pg.PLAIN_TABLE else None
    return TableInfo(schema, table, counted, int(size))


@dataclass
class Piece:
    command: ClientCommand
    counter: SectionRowCounter
    what: str
    head: bytes = b""
    tail: bytes = b""


def pieces(request: DumpRequest, name: str, snapshot: str, table: parts.SplitTable) -> list[Piece]:
    """pg_dump's pre-data and data without the table's rows, the table's parts inside one COPY block,
    pg_dump's post-data: in the order of the database's file."""
    url, password = request.url, request.password
    dump = f"pg_dump of database {name!r}"
    first = pg.dump_command(url, password, name, snapshot, ("pre-data", "data"), parts.table_pattern(table))
    found = [Piece(first, CopyRowCounter(), dump)]
    ranges = parts.page_ranges(table.pages)
    for index, (first_page, end_page) in enumerate(ranges):
        statements = parts.part_sql(table, snapshot, first_page, end_page)
        found.append(
            Piece(
                pg.part_command(url, password, name, statements, table.encoding),
                LineCounter(),
                f"reading table {table.schema}.{table.name} of database {name!r} "
                f"(part {index + 1} of {len(ranges)})",
                head=(table.copy_line + "\n").encode("utf-8", "surrogateescape") if index == 0 else b"",
                tail=parts.END_OF_COPY if index == len(ranges) - 1 else b"",
            )
        )
    last = pg.dump_command(url, password, name, snapshot, ("post-data",))
    found.append(Piece(last, CopyRowCounter(), dump))
    return found


def dump_in_parts(
    request: DumpRequest, name: str, snapshot: str, table: parts.SplitTable, path: Path
) -> tuple[int, dict[TableKey, int | None], bool]:
    """The database's file at `path` and its size, with the rows of every table counted in it, and
    whether each pg_dump's output ended as a complete one does (the parts' psql: its exit status)."""
    work = pieces(request, name, snapshot, table)
    files = [path.with_name(f"{path.name}.{index}") for index in range(len(work))]

    def dump_piece(index: int) -> int:
        piece = work[index]
        return dump_to_file(piece.command, files[index], piece.what, piece.counter, piece.head, piece.tail)

    try:
        each_at_once(range(len(work)), dump_piece, len(work))
        with path.open("wb") as out:
            for file in files:
                with file.open("rb") as compressed:
                    shutil.copyfileobj(compressed, out, 1 << 20)
    finally:
        for file in files:
            file.unlink(missing_ok=True)
    rows: dict[TableKey, int | None] = {}
    complete = True
    for piece in work:
        if isinstance(piece.counter, LineCounter):
            key = (table.schema, table.name)
            rows[key] = (rows.get(key) or 0) + piece.counter.lines
        else:
            rows.update(piece.counter.finish())
            complete = complete and ends_with(piece.counter.tail, pg.TRAILER)
    return path.stat().st_size, rows, complete
