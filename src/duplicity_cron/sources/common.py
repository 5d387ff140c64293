"""What the engine modules share: a client command, the databases chosen by DATABASES, file names of
the dumps, and the version rule (a server newer than the client is refused before anything is dumped).

Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

# Every database dump is compressed here, and nowhere else (duplicity is told not to compress again):
# zstd level 1 runs beside the server's COPY, and --rsyncable resets the compressor at content-defined
# points, so that a nightly incremental carries the changed rows rather than the rest of the file.
COMPRESS = ("zstd", "-1", "--rsyncable", "-q", "-c")
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
