"""MySQL's users and grants as a script, and the rewriting of a dump's SQL on its way to `mysql`.

Pure. The users' file (`users_file`) is made of one block per account, each starting with a line of
its own, `-- account ["user", "host"]`: first every account's CREATE USER (those naming a DEFAULT ROLE
last: the role must exist), then every account's GRANTs (a role granted must exist). A restore leaves
the accounts that exist as they are (`without_accounts`: their blocks skipped, rather than an error or
a password reset for each). A drill loads a database under a scratch name (`mariadb.sql.my_into_scratch`:
mysqldump's CREATE DATABASE, USE and ALTER DATABASE lines are MariaDB's) with the function that marks
it right after its USE.

MySQL refuses a GRANT on a table, column or routine that does not exist (MariaDB does not): a restore
loads those grants at the end of their database's script (`object_grants`, `with_grants`), the rest
of the users' file before the databases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping

from ..mariadb.sql import my_into_scratch
from .commands import ACCOUNT_SEPARATOR, drill_marker_sql

_ESCAPES = {"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}
_HEADER = "-- account "


def unescape(value: str) -> str:
    """A value of `mysql --batch` without `--raw` as it is: `\\t`, `\\n`, `\\0`, `\\\\` undone."""
    return re.sub(r"\\([0tn\\])", lambda match: _ESCAPES[match.group(1)], value)


def users_file(accounts: list[tuple[str, str]], output: str) -> str:
    """The users' file from the output of `commands.users_script(accounts)` (escaped, one row a line:
    per account a `--` row, its CREATE USER, its GRANTs). ValueError when the output does not have
    one CREATE USER for each account."""
    groups = output.split(ACCOUNT_SEPARATOR + "\n")[1:]
    if len(groups) != len(accounts):
        raise ValueError(f"{len(groups)} accounts' statements for {len(accounts)} accounts")
    creates, grants = [], []
    for account, group in zip(accounts, groups, strict=True):
        rows = [unescape(line) for line in group.splitlines() if line]
        if not rows or not rows[0].startswith("CREATE USER "):
            raise ValueError(f"no CREATE USER for {account}: {rows[:1]}")
        header = _HEADER + json.dumps(list(account), ensure_ascii=False) + "\n"
        create = "CREATE USER IF NOT EXISTS " + rows[0].removeprefix("CREATE USER ")
        creates.append((" DEFAULT ROLE " in create, header + create + ";\n"))
        grants.append(header + "".join(row + ";\n" for row in rows[1:]))
    ordered = [block for _roles, block in sorted(creates, key=lambda item: item[0])]
    return "".join(ordered) + "".join(grants)


def without_accounts(text: str, existing: Collection[tuple[str, str]]) -> tuple[str, list[str]]:
    """The users' file without the blocks of the accounts in `existing` ((user, host lower-cased));
    and those accounts, `'user'@'host'`, kept as they are."""
    kept: list[str] = []
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith(_HEADER):
            user, host = json.loads(line[len(_HEADER) :])
            skipping = (user, host.lower()) in existing
            shown = f"'{user}'@'{host}'"
            if skipping and shown not in kept:
                kept.append(shown)
        if not skipping:
            out.append(line)
    return "".join(out), kept


def into_scratch(lines: Iterable[str], database: str, scratch: str, marker: str) -> Iterator[str]:
    """A `mysqldump --databases` script that creates and uses `scratch` instead of its database, marked
    with `marker` (the COMMENT of a function made in it) as soon as it is in use."""
    marked = False
    for line in my_into_scratch(lines, database, scratch):
        yield line
        if not marked and line.startswith("USE "):
            marked = True
            yield drill_marker_sql(marker)


_OBJECT_GRANT = re.compile(
    r"^GRANT .* ON (?:PROCEDURE |FUNCTION |TABLE )?`(?P<database>(?:[^`]|``)+)`\.`(?:[^`]|``)+` TO "
)


def object_grants(text: str) -> tuple[str, dict[str, list[str]]]:
    """The users' file without its GRANTs on a database's tables, columns and routines; those, by
    database (their lines, to load after it)."""
    grants: dict[str, list[str]] = {}
    lines = []
    for line in text.splitlines(keepends=True):
        match = _OBJECT_GRANT.match(line)
        if match:
            grants.setdefault(match["database"].replace("``", "`"), []).append(line)
        else:
            lines.append(line)
    return "".join(lines), grants


def with_grants(lines: Iterable[str], grants: Mapping[str, list[str]]) -> Iterator[str]:
    """A `mysqldump --databases` script, then the grants on the objects of its database (the one its
    first USE names), once it has created them."""
    database = None
    for line in lines:
        if database is None and line.startswith("USE `"):
            database = line[len("USE `") : line.rindex("`")].replace("``", "`")
        yield line
    yield from grants.get(database or "", [])
