"""The rows of each table in a `mariadb-dump` of one database, counted as the dump streams by.

Pure. mariadb-dump (10.7 and later, MDEV-25152) writes a table's rows between its own lines, one row
a line, in extended INSERTs:

    LOCK TABLES `items` WRITE;
    /*!40000 ALTER TABLE `items` DISABLE KEYS */;
    INSERT INTO `items` VALUES
    (1,'first'),
    (2,'it''s \\n escaped');
    /*!40000 ALTER TABLE `items` ENABLE KEYS */;
    UNLOCK TABLES;

Values never hold a raw newline (mariadb-dump escapes it as `\\n`), so the lines of the section that
start with `(` are its rows, exactly those of the dump's own snapshot. Older clients write a whole
INSERT on one line: `mariadb.commands.counts_rows_in_dump` says which do this. How the counting keeps
up with the stream: `rows.dump_rows`.
"""

from __future__ import annotations

import re

from .dump_rows import SectionRowCounter, TableKey

_HEADER = re.compile(r"^LOCK TABLES `((?:[^`]|``)+)` WRITE;$")


def locked_table(line: str) -> str | None:
    """The table of a `LOCK TABLES `name` WRITE;` line, else None."""
    match = _HEADER.match(line)
    return None if match is None else match.group(1).replace("``", "`")


class InsertRowCounter(SectionRowCounter):
    """Each table's rows in a dump of database `schema`: `rows[(schema, table)]`."""

    START = b"LOCK TABLES `"
    END = b"UNLOCK TABLES;\n"
    ROW = b"("

    def __init__(self, schema: str) -> None:
        super().__init__()
        self.schema = schema

    def _section(self, line: bytes) -> TableKey | None:
        table = locked_table(line.decode(errors="replace"))
        return None if table is None else (self.schema, table)
