"""The rules every engine shares: the databases chosen by DATABASES, file names of the dumps, the
version rule (a server newer than the client is refused before anything is dumped).

Pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

from .engine import DumpedDatabase, Refused, TableKey, Version

# Every database dump is compressed by the runner as it streams by (zstd, databases.compress), and
# nowhere else: duplicity is told not to compress again.
DUMP_SUFFIX = ".sql.zst"
DATABASES_FOLDER = "databases"
MANIFEST = "manifest.json"


def parse_version(text: str, pattern: str) -> Version:
    """(major, minor) of the first match of `pattern` (two groups); ValueError when there is none."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"no version in {text.strip()[:200]!r}")
    return int(match.group(1)), int(match.group(2))


def _newer(newer: Version, older: Version, same_major: bool) -> tuple[str, str] | None:
    """The version rule, for a dump and for a restore: whether `newer` is newer than `older` (by major
    when `same_major`, as PostgreSQL's majors are its first number; by major.minor otherwise); if so,
    both as they are shown (None when it is not)."""
    if not (newer[0] > older[0] if same_major else newer > older):
        return None

    def shown(version: Version) -> str:
        return str(version[0]) if same_major else f"{version[0]}.{version[1]}"

    return shown(newer), shown(older)


def version_problem(client_name: str, client: Version, server: Version, same_major: bool) -> str | None:
    """Why `client` cannot dump `server`, or None: a server newer than the client."""
    newer = _newer(server, client, same_major)
    if newer is None:
        return None
    server_shown, client_shown = newer
    return (
        f"the server is version {server_shown}, newer than the client {client_name} "
        f"{client_shown}: a dump by an older client may be incomplete; use a client of version "
        f"{server_shown} or newer"
    )


def lines_of(text: str) -> list[str]:
    """A client's output, its non-empty lines."""
    return [line for line in text.splitlines() if line]


def first_value(output: str, separator: str) -> str | None:
    """The first field of a client's first line of rows (None: it printed none)."""
    lines = output.splitlines()
    return lines[0].split(separator, 1)[0] if lines else None


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


# --- What a dump must hold ------------------------------------------------------------------------


def missing_data(
    database: str, client: str, expected: Iterable[TableKey], rows: Mapping[TableKey, int | None]
) -> str | None:
    """The first table the server listed (`expected`: those whose data the client writes) whose data
    section the dump's stream did not hold whole (`rows`: the counter's; None or absent), as one line;
    None when every one was seen. A client that exits 0 with half a dump is caught here."""
    for key in sorted(expected):
        if rows.get(key) is None:
            how = "is not whole (cut short, or there twice)" if key in rows else "is not in it"
            return (
                f"database {database!r}, table {'.'.join(key)}: the server lists it, but its data in "
                f"{client}'s output {how}: the dump is incomplete though {client} exited 0; nothing "
                "was backed up"
            )
    return None


def ends_with(tail: bytes, trailer: str) -> bool:
    """Whether the stream whose last bytes are `tail` holds the line that starts with `trailer`
    there: the line its client writes last when the dump is complete."""
    return (b"\n" + trailer.encode()) in (b"\n" + tail)


def cut_short(database: str, client: str, trailer: str) -> str:
    return (
        f"database {database!r}: {client}'s output ends before its last line {trailer!r}: the dump is "
        f"incomplete though {client} exited 0; nothing was backed up"
    )


# --- Restore ---------------------------------------------------------------------------------------

DECOMPRESS = ("zstd", "-dc", "-q")
SCRATCH_PREFIX = "dcv_"  # the scratch databases of drills: dcv_<task>_<hash>_<token>_<n>_<name>
MAX_NAME_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; MariaDB's limit is 64 characters


def scratch_prefix(task_id: str, deployment: str = "") -> str:
    """The prefix of every scratch database of a task's drills in one deployment: its id (folded to
    `[a-z0-9_]`, cut) and a hash of the exact id and the deployment's, so that the prefix of one task
    never starts another's, and another deployment's drills (almost always) list none of them."""
    folded = re.sub(r"[^a-z0-9]", "_", task_id.lower())[:16]
    digest = hashlib.sha256(f"{deployment}\0{task_id}".encode() if deployment else task_id.encode())
    return f"{SCRATCH_PREFIX}{folded}_{digest.hexdigest()[:6]}_"


def scratch_marker(task_id: str, deployment: str) -> str:
    """What a drill writes on each scratch database it creates (PostgreSQL: its comment; MariaDB: its
    COMMENT) and what must be there before it, or a later drill, drops one: the deployment's id and a
    hash of the task's. A database named like a scratch one without it is never dropped."""
    task = hashlib.sha256(task_id.encode()).hexdigest()[:12]
    return f"duplicity-cron drill: deployment {deployment or 'none'}, task {task}"


def scratch_names(task_id: str, token: str, databases: Sequence[str], deployment: str = "") -> dict[str, str]:
    """A scratch name for each database, unique (its position), ASCII and within both engines' limits."""
    names = {}
    for index, database in enumerate(databases, start=1):
        folded = re.sub(r"[^a-z0-9_]", "_", database.lower())
        names[database] = f"{scratch_prefix(task_id, deployment)}{token}_{index}_{folded}"[:MAX_NAME_BYTES]
    return names


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
    newer = _newer(dump, client, same_major)
    if newer is None:
        return None
    dump_shown, client_shown = newer
    return (
        f"the dump was made by {dump_client} {dump_shown}, newer than {client_name} {client_shown} "
        f"here: use a client of version {dump_shown} or newer; nothing was restored"
    )


def choose(dumped: list[DumpedDatabase], wanted: tuple[str, ...]) -> list[DumpedDatabase]:
    """The databases of a dump a restore loads: `wanted` (`--database`), else all; Refused for a name
    the dump does not hold."""
    names = [database.name for database in dumped]
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise Refused(
            f"the dump holds no database {', '.join(map(repr, unknown))}; "
            f"it holds {', '.join(names) or 'none'}"
        )
    return [database for database in dumped if not wanted or database.name in wanted]
