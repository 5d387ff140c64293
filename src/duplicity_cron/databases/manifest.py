"""What a built-in dump made, as the engines report it and as `manifest.json` keeps it (written by
`databases.dump`, read back by `databases.restore`); and the output lines of both."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import DatabaseUrl
from .common import MANIFEST
from .engine import DumpedDatabase, DumpError

MANIFEST_FORMAT = 1
GLOBALS_FILE = "globals.sql"


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
        "server": url.without_password(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        **asdict(result),
        "bytes": sum(database.bytes for database in result.databases),
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def read_manifest(folder: Path, engine: str) -> tuple[dict[str, Any], list[DumpedDatabase]]:
    """The manifest of the dump in `folder` and the databases it lists; DumpError when it is
    missing, damaged or of another engine."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        dumped = [
            DumpedDatabase(
                d["name"], folder / d["file"], {(t["schema"], t["name"]): t["rows"] for t in d["tables"]}
            )
            for d in manifest["databases"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DumpError(f"the backup holds no readable dump manifest ({MANIFEST}): {exc}") from None
    if manifest.get("engine") != engine:
        raise DumpError(
            f"the dump is of {manifest.get('engine')!r}, the server is {engine}; nothing was restored"
        )
    return manifest, dumped
