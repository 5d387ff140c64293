"""What a built-in dump made, as the engines report it and as `manifest.json` keeps it; the request
the step passes in; and the dump's own output lines."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config.database_url import without_password
from ..model import DatabaseUrl
from ..sources.postgresql_parts import SPLIT_BYTES

DUMP_VARIABLE = "DUPLICITY_CRON_DUMP"  # the request: {"url", "databases", "password"} as JSON
MANIFEST_FORMAT = 1
GLOBALS_FILE = "globals.sql"


@dataclass(frozen=True)
class DumpRequest:
    url: DatabaseUrl
    databases: tuple[str, ...]
    password: str | None  # DATABASE_PASSWORD, else the URL's; None: the client's own variables
    # a PostgreSQL table this large is read in parts (sources.postgresql_parts); None: never. Not a
    # setting of the request's JSON: the tests set it to split their small tables
    split_bytes: int | None = SPLIT_BYTES


@dataclass
class TableInfo:
    schema: str
    name: str
    rows: int | None  # None: not counted
    bytes: int | None = None  # on the server, indexes included
    engine: str | None = None


@dataclass
class DatabaseDump:
    name: str
    file: str  # relative to $SRC
    bytes: int
    seconds: float
    tables: list[TableInfo] = field(default_factory=list)


@dataclass
class ServerDump:
    """What an engine's dump made, for the manifest."""

    engine: str
    client_version: str
    server_version: str
    globals_file: str
    databases: list[DatabaseDump]
    warnings: list[str] = field(default_factory=list)
    rows_in_dump_snapshot: bool = False  # the counts are the dump's own snapshot's (PostgreSQL)


def say(text: str) -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


def write_manifest(
    path: Path, result: ServerDump, started: datetime, seconds: float, url: DatabaseUrl
) -> None:
    data: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "server": without_password(url),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        **asdict(result),
        "bytes": sum(database.bytes for database in result.databases),
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
