"""SQLite: the engine object the registry lists. Pure; its URL is `paths`, its copy (the online backup
API, in steps) `dump`, its restore and drill `restore`.

Its databases are files on this machine (`local_files`): there is no server, no client program (Python's
`sqlite3` does it all, in every image), no password, no roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...model import DatabaseUrl
from . import paths

if TYPE_CHECKING:
    from ..manifest import ServerDump
    from ..steps import DumpRequest, RestoreDumpRequest


@dataclass(frozen=True)
class SqliteEngine:
    """The `Engine` of SQLite files."""

    name: str = paths.NAME
    schemes: tuple[str, ...] = (paths.NAME,)
    password_variable: str = ""  # none: a file has no password
    dump_client: str = "sqlite3"  # Python's module (the SQLite library), no program
    restore_client: str = "sqlite3"
    image: str = "cron"  # every image has Python's sqlite3
    programs: tuple[str, ...] = ()

    @property
    def local_files(self) -> bool:
        return True

    def parse_url(self, text: str) -> DatabaseUrl:
        return paths.parse_url(text)

    def dump(self, request: DumpRequest, src: Path) -> ServerDump:
        from .dump import dump_files  # imported here: it reads the files, and the registry stays pure

        return dump_files(request, src)

    def load(self, request: RestoreDumpRequest) -> None:
        from .restore import load_files  # imported here: it writes files, and the registry stays pure

        load_files(request)


ENGINE = SqliteEngine()
