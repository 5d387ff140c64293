"""VERIFY_SQL: the statements a drill runs on its scratch copy of the dumped databases, one a line as
`database: statement` (the database left out when the dump holds one); blank lines and lines that
start with `#` or `--` are skipped. And which databases the dump holds, when the task's keys tell
(whether the checks fit them: `databases.checks`).

Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import DatabaseUrl, SqlCheck

# `name:` at the start of a line, but not `name::type` (a statement never starts with a cast).
_DATABASE = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_$.-]*)\s*:(?!:)\s*(.*)")
_COMMENTS = ("#", "--")


def parse_verify_sql(text: str) -> tuple[SqlCheck, ...]:
    """The checks of VERIFY_SQL's value; ValueError names the line that is wrong."""
    checks = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(_COMMENTS):
            continue
        match = _DATABASE.fullmatch(line)
        database, statement = (match.group(1), match.group(2).strip()) if match else ("", line)
        if not statement:
            raise ValueError(
                f"line {number} names database {database!r} but no statement; write `{database}: SELECT ...`"
            )
        checks.append(SqlCheck(database, statement, number))
    if not checks:
        raise ValueError("holds no statement; write one a line, as `database: SELECT ...`")
    return tuple(checks)


def dumped_databases(url: DatabaseUrl, databases: Sequence[str]) -> tuple[str, ...] | None:
    """The databases the built-in dump holds as far as DATABASES and the URL say (the rule of
    `databases.common.select_databases`), None when that is the server's to say (every one, or all
    but some)."""
    included = tuple(name for name in databases if not name.startswith("!"))
    excluded = {name[1:] for name in databases if name.startswith("!")}
    if included:
        return tuple(name for name in included if name not in excluded)
    if not excluded and url.database:
        return (url.database,)
    return None
