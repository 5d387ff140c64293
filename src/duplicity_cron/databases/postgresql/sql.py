"""Rewriting pg_dumpall's and pg_dump's SQL on its way to psql, line by line, for what psql cannot be
told by an option: the roles that exist are left as they are (their statements skipped, rather than
an error, or a password reset, for each), a drill loads a database under a scratch name with neither
owners nor privileges (the `--no-owner --no-acl` of a plain dump), a dump by a newer pg_dump loads into
an older server (what the older one does not know is left out), and a database that exists empty is
loaded into (its CREATE DATABASE left out).

Pure. Each dump writes one statement of these kinds per line, and the data (the COPY blocks) passes
untouched.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

_PG_IDENT = r'(?P<name>"(?:[^"]|"")*"|[^\s;"]+)'
# pg_dumpall --globals-only: the statements that create or alter one role or tablespace
_PG_ROLE = re.compile(rf"^(?:CREATE ROLE|ALTER ROLE) {_PG_IDENT}[ ;]")
_PG_TABLESPACE = re.compile(rf"^CREATE TABLESPACE {_PG_IDENT} ")
# pg_dump: ownership, privileges, and the database's own properties (they name the dump's database)
_PG_SKIPPED_IN_SCRATCH = re.compile(
    r"^(?:ALTER [A-Z ]+ .* OWNER TO .*;|(?:GRANT|REVOKE) .*;|ALTER DEFAULT PRIVILEGES .*;"
    r"|(?:ALTER|COMMENT ON|SECURITY LABEL (?:FOR \S+ )?ON) DATABASE .*)$"
)
_PG_CREATE_DATABASE = re.compile(rf"^CREATE DATABASE {_PG_IDENT}( .*)?;$")
_PG_COPY = re.compile(r"^COPY .* FROM stdin;$")
# What pg_dump writes that a server older than a major does not know, line by line: (the first major
# that knows it, the line's pattern, its replacement; "" leaves the line out). pg_dump 18's scripts
# were loaded into PostgreSQL 13, 15 and 17 (the version matrix of tests/images): these are all it met.
_PG_NEWER_THAN_SERVER = [
    (17, re.compile(r"^SET transaction_timeout = 0;$"), ""),  # pg_dump 17+
    (15, re.compile(r"^(CREATE DATABASE .*) LOCALE_PROVIDER = libc( .*)?;$"), r"\1\2;"),  # pg_dump 15+
]


def pg_name(quoted: str) -> str:
    """A PostgreSQL identifier as the server knows it (unquoted ones are folded to lower case)."""
    if quoted.startswith('"'):
        return quoted[1:-1].replace('""', '"')
    return quoted.lower()


def pg_globals(text: str, roles: Collection[str], tablespaces: Collection[str]) -> tuple[str, list[str]]:
    """pg_dumpall's globals without the CREATE ROLE / ALTER ROLE of the roles that exist, nor the
    CREATE TABLESPACE of those that exist; and the names of the roles kept as they are."""
    kept: list[str] = []
    lines = []
    for line in text.splitlines(keepends=True):
        role = _PG_ROLE.match(line)
        if role and pg_name(role["name"]) in roles:
            if line.startswith("CREATE ROLE"):
                kept.append(pg_name(role["name"]))
            continue
        space = _PG_TABLESPACE.match(line)
        if space and pg_name(space["name"]) in tablespaces:
            continue
        lines.append(line)
    return "".join(lines), kept


def _pg_script(lines: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """Each line of a pg_dump script with its text (no newline), or None for the lines of a COPY
    block's data, which every filter passes as they are (a row may look like a statement)."""
    copying = False
    for line in lines:
        bare = line.rstrip("\n")
        if copying:
            copying = bare != "\\."
            yield line, None
        else:
            copying = bool(_PG_COPY.match(bare))
            yield line, bare


def pg_for_server(lines: Iterable[str], major: int, create: bool = True) -> Iterator[str]:
    """A `pg_dump --create` script for a server of `major`: the lines of a newer pg_dump that it does
    not know left out or rewritten (_PG_NEWER_THAN_SERVER); without `create`, its CREATE DATABASE left
    out (the database exists and is loaded into as it is, as pg_dumpall does with `postgres`)."""
    rules = [(pattern, replacement) for since, pattern, replacement in _PG_NEWER_THAN_SERVER if major < since]
    header = True
    for line, bare in _pg_script(lines):
        if bare is None:
            yield line
            continue
        if header and not create and _PG_CREATE_DATABASE.match(bare):
            continue
        header = header and not bare.startswith("\\connect ")
        for pattern, replacement in rules:
            if pattern.match(bare):
                bare = pattern.sub(replacement, bare)
                line = f"{bare}\n" if bare else ""
        if line:
            yield line


def pg_into_scratch(lines: Iterable[str], scratch: str, marker: str = "") -> Iterator[str]:
    """A `pg_dump --create` script that creates and fills `scratch` (a plain lower-case name) instead
    of its database, marked by its comment `marker` right after it is created, leaving out owners,
    privileges and the database's properties (its own comment among them). Every `\\connect` outside
    the data is to the dump's database (pg_dump connects again after the database's settings, `ALTER
    DATABASE ... SET`): each goes to `scratch`."""
    header = True
    for line, bare in _pg_script(lines):
        if bare is None:
            yield line
        elif header and (created := _PG_CREATE_DATABASE.match(bare)):
            yield f"CREATE DATABASE {scratch}{created[2] or ''};\n"
            if marker:
                yield f"COMMENT ON DATABASE {scratch} IS '{marker.replace(chr(39), chr(39) * 2)}';\n"
        elif bare.startswith("\\connect "):
            header = False
            yield f"\\connect {scratch}\n"
        elif not _PG_SKIPPED_IN_SCRATCH.match(bare):
            yield line
