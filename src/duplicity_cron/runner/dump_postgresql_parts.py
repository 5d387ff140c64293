"""The dump of a PostgreSQL database whose largest table is read in parts (`sources.postgresql_parts`):
every piece dumped at once from the database's snapshot, each counted and compressed into a file of
its own, then the files joined in order into the database's file (zstd frames concatenate)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..sources import postgresql as pg
from ..sources import postgresql_parts as parts
from ..sources.common import ClientCommand
from ..sources.copy_rows import CopyRowCounter, LineCounter, TableKey
from ..sources.dump_rows import SectionRowCounter
from .clients import dump_to_file, each_at_once
from .dump_manifest import DumpRequest


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
) -> tuple[int, dict[TableKey, int | None]]:
    """The database's file at `path` and its size, with the rows of every table counted in it."""
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
    for piece in work:
        if isinstance(piece.counter, LineCounter):
            key = (table.schema, table.name)
            rows[key] = (rows.get(key) or 0) + piece.counter.lines
        else:
            rows.update(piece.counter.finish())
    return path.stat().st_size, rows
