"""Rewriting mariadb-dump's SQL on its way to `mariadb`, line by line, for what the client cannot be
told by an option: the users that exist are left as they are (their statements skipped, rather than
an error, or a password reset, for each), the PROXY grants only root may give left out for another
user, and a drill loads a database under a scratch name.

Pure. mariadb-dump writes one statement of these kinds per line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

_MY_QUOTED = r"`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'"
_MY_USER_STATEMENT = re.compile(
    r"^(?:CREATE USER|ALTER USER|GRANT |SET DEFAULT ROLE|/\*M!100005 SET DEFAULT ROLE|/\*!80001 ALTER USER)"
)
_MY_GRANTEE = re.compile(
    rf"\b(?:USER(?: IF NOT EXISTS)?|TO|FOR) (?P<user>{_MY_QUOTED})@(?P<host>{_MY_QUOTED})"
)


def my_name(quoted: str) -> str:
    """A MariaDB name out of its backticks or single quotes."""
    inner = quoted[1:-1]
    if quoted.startswith("`"):
        return inner.replace("``", "`")
    return re.sub(r"\\(.)", r"\1", inner).replace("''", "'")


def my_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def my_globals(text: str, users: Collection[tuple[str, str]]) -> tuple[str, list[str]]:
    """mariadb-dump's users without the statements (CREATE USER, GRANT, default roles) of the users
    that exist, (user, host lower-cased); and those users, `'user'@'host'`, kept as they are."""
    kept: list[str] = []
    lines = []
    for line in text.splitlines(keepends=True):
        grantee = _MY_GRANTEE.search(line) if _MY_USER_STATEMENT.match(line) else None
        if grantee:
            user = (my_name(grantee["user"]), my_name(grantee["host"]).lower())
            if user in users:
                shown = f"'{user[0]}'@'{user[1]}'"
                if shown not in kept:
                    kept.append(shown)
                continue
        lines.append(line)
    return "".join(lines), kept


_MY_GRANT_PROXY = re.compile(rf"^GRANT PROXY ON .* TO (?P<user>{_MY_QUOTED})@(?P<host>{_MY_QUOTED})")
_MY_ANY_PROXY_WITH_GRANT = re.compile(r"^GRANT PROXY ON [`']{2}@[`']%[`'] TO .* WITH GRANT OPTION\b")


def my_can_grant_proxy(grants: str) -> bool:
    """Whether the user whose SHOW GRANTS is `grants` may grant PROXY on any user, as root may (`GRANT
    PROXY ON ''@'%' ... WITH GRANT OPTION`): without it, a GRANT PROXY of the dump is Access denied."""
    return any(_MY_ANY_PROXY_WITH_GRANT.match(line) for line in grants.splitlines())


def my_without_proxy(text: str) -> tuple[str, list[str]]:
    """mariadb-dump's users without their GRANT PROXY statements (each `'user'@'host'` of them named)."""
    left_out: list[str] = []
    lines = []
    for line in text.splitlines(keepends=True):
        proxy = _MY_GRANT_PROXY.match(line)
        if proxy:
            left_out.append(f"'{my_name(proxy['user'])}'@'{my_name(proxy['host'])}'")
            continue
        lines.append(line)
    return "".join(lines), left_out


_MY_CREATE_DATABASE = re.compile(r"^(CREATE DATABASE .*?)(?: COMMENT '(?:[^'\\]|\\.|'')*')?;\n?$")


def my_into_scratch(lines: Iterable[str], database: str, scratch: str, marker: str = "") -> Iterator[str]:
    """A `mariadb-dump --databases` script that creates, uses and alters `scratch` instead of its
    database (its CREATE DATABASE, USE and the ALTER DATABASE around routines name it); `scratch` is
    created with the COMMENT `marker` (MariaDB 10.5+; the database's own comment left out), in the one
    statement that creates it."""
    old, new = my_identifier(database), my_identifier(scratch)
    for line in lines:
        created = _MY_CREATE_DATABASE.match(line) if marker else None
        if created:
            comment = marker.replace("\\", "\\\\").replace("'", "''")
            yield f"{created[1].replace(old, new, 1)} COMMENT '{comment}';\n"
        elif line.startswith(("CREATE DATABASE ", "USE ")) or "ALTER DATABASE " + old in line:
            yield line.replace(old, new, 1)
        else:
            yield line
