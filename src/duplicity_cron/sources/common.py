"""What the engine modules share: a client command, the databases chosen by DATABASES, file names of
the dumps, and the version rule (a server newer than the client is refused before anything is dumped).

Pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

# Every database dump is compressed by the runner as it streams by (zstd, runner.dump_writer), and
# nowhere else: duplicity is told not to compress again.
DUMP_SUFFIX = ".sql.zst"
DATABASES_FOLDER = "databases"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ClientCommand:
    """One client's argv and what it adds to the environment (a password, a timeout)."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


Version = tuple[int, int]


def parse_version(text: str, pattern: str) -> Version:
    """(major, minor) of the first match of `pattern` (two groups); ValueError when there is none."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"no version in {text.strip()[:200]!r}")
    return int(match.group(1)), int(match.group(2))


def version_problem(client_name: str, client: Version, server: Version, same_major: bool) -> str | None:
    """Why `client` cannot dump `server`, or None: a server newer than the client (by major when
    `same_major`, as PostgreSQL's majors are its first number; by major.minor otherwise)."""
    newer = server[0] > client[0] if same_major else server > client
    if not newer:
        return None

    def shown(version: Version) -> str:
        return str(version[0]) if same_major else f"{version[0]}.{version[1]}"

    return (
        f"the server is version {shown(server)}, newer than the client {client_name} "
        f"{shown(client)}: a dump by an older client may be incomplete; use a client of version "
        f"{shown(server)} or newer"
    )


def select_databases(available: Sequence[str], wanted: Iterable[str], default: str | None) -> list[str]:
    """The databases to dump, in the server's order: `wanted`'s names (all of them must exist), or
    `default` (the URL's database) when it names none, or every available one; `!name` excludes.

    ValueError names a database that does not exist.
    """
    wanted = list(wanted)
    included = [name for name in wanted if not name.startswith("!")]
    excluded = {name[1:] for name in wanted if name.startswith("!")}
    if not included and default is not None and not excluded:
        included = [default]
    missing = [name for name in [*included, *excluded] if name not in available]
    if missing:
        raise ValueError(
            f"no database named {', '.join(map(repr, missing))} on the server; it has "
            f"{', '.join(available) or 'none'}"
        )
    chosen = included or list(available)
    return [name for name in available if name in chosen and name not in excluded]


def dump_file(database: str) -> str:
    """The dump's path under $SRC: the name percent-encoded, so that any name is one safe file name."""
    return f"{DATABASES_FOLDER}/{quote(database, safe='')}{DUMP_SUFFIX}"


# --- Restore ---------------------------------------------------------------------------------------

DECOMPRESS = ("zstd", "-dc", "-q")
SCRATCH_PREFIX = "dcv_"  # the scratch databases of drills: dcv_<task>_<hash>_<token>_<n>_<name>
MAX_NAME_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; MariaDB's limit is 64 characters


@dataclass(frozen=True)
class RestoreCommands:
    """How one database of a dump is restored: `drop` first when asked and it exists, then `load`
    (the dump's file decompressed into the client; `rename` means the runner rewrites the stream so
    that it creates `into` instead of the dump's name), then `analyze` (statistics)."""

    database: str  # as in the dump
    into: str  # its name on the server
    load: list[ClientCommand]
    drop: ClientCommand | None = None
    analyze: ClientCommand | None = None

    @property
    def rename(self) -> bool:
        return self.into != self.database


def scratch_prefix(task_id: str) -> str:
    """The prefix of every scratch database of a task's drills: its id (folded to `[a-z0-9_]`, cut)
    and a hash of the exact id, so that the prefix of one task never starts another's."""
    folded = re.sub(r"[^a-z0-9]", "_", task_id.lower())[:16]
    digest = hashlib.sha256(task_id.encode()).hexdigest()[:6]
    return f"{SCRATCH_PREFIX}{folded}_{digest}_"


def scratch_names(task_id: str, token: str, databases: Sequence[str]) -> dict[str, str]:
    """A scratch name for each database, unique (its position), ASCII and within both engines' limits."""
    names = {}
    for index, database in enumerate(databases, start=1):
        folded = re.sub(r"[^a-z0-9_]", "_", database.lower())
        names[database] = f"{scratch_prefix(task_id)}{token}_{index}_{folded}"[:MAX_NAME_BYTES]
    return names


TableKey = tuple[str, str]  # (schema, table); MariaDB's schema is the database


def count_problem(
    database: str, expected: Mapping[TableKey, int | None], found: Mapping[TableKey, int]
) -> str | None:
    """The first table whose restored row count is not the manifest's, as one line; None when all
    agree (a table the manifest did not count is only checked to exist)."""
    for key in sorted(set(expected) | set(found)):
        table = ".".join(key)
        if key not in found:
            return f"database {database!r}, table {table}: in the dump's manifest, missing from the restore"
        if key not in expected:
            return f"database {database!r}, table {table}: not in the dump's manifest, found in the restore"
        rows = expected[key]
        if rows is not None and rows != found[key]:
            return (
                f"database {database!r}, table {table}: {rows:,} rows expected (the dump's manifest), "
                f"{found[key]:,} found in the restore"
            )
    return None


def dump_version_problem(
    dump_client: str, dump: Version, client_name: str, client: Version, same_major: bool
) -> str | None:
    """Why a dump made by `dump_client` of version `dump` may not load with the `client` here: a dump
    by a newer client may use what an older one does not know (psql's `\\restrict`, MariaDB's
    sandbox line)."""
    newer = dump[0] > client[0] if same_major else dump > client
    if not newer:
        return None

    def shown(version: Version) -> str:
        return str(version[0]) if same_major else f"{version[0]}.{version[1]}"

    return (
        f"the dump was made by {dump_client} {shown(dump)}, newer than {client_name} {shown(client)} "
        f"here: use a client of version {shown(dump)} or newer; nothing was restored"
    )
