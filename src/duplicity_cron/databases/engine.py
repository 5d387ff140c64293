"""What every database engine exposes, so that nothing outside an engine's own package asks which engine
it is: the `Engine` protocol (the registry in `databases/__init__.py` lists one object per engine), the
`Server` a dump is restored into or drilled on, and the values their functions pass: a client's
command, the commands restoring one database, a version.

Pure. An engine object's `dump` and `server` run clients: each imports its engine's edge module inside
the function, so that importing the registry (as `config` does, to parse a URL) starts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..model import DatabaseUrl
from .url import parse_server_url

if TYPE_CHECKING:  # the dump's request and report: types only, for the impure functions' signatures
    from .manifest import ServerDump
    from .steps import DumpRequest, RestoreDumpRequest

Version = tuple[int, int]
TableKey = tuple[str, str]  # (schema, table); MariaDB's schema is the database
# A stream rewritten on its way from one client to the next: lines in, lines out (each engine's sql.py).
Transform = Callable[[Iterable[str]], Iterator[str]]


class DumpError(Exception):
    """A dump or a restore that cannot be made; the message is one line, for the run's log."""


class Refused(Exception):
    """A restore that loaded nothing: the request cannot be done as it is (exit status 2)."""


@dataclass(frozen=True)
class ClientCommand:
    """One client's argv and what it adds to the environment (a password, a timeout)."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True)
class DumpedDatabase:
    """One database of a dump, as its manifest lists it."""

    name: str
    file: Path
    rows: dict[TableKey, int | None] = field(default_factory=dict)


class Server(Protocol):
    """A server to restore a dump into, or to drill on (`databases.restore` drives it)."""

    engine: str
    where: str  # the URL without its password, for messages
    maintenance: str  # the database the clients connect to ("" for none): loaded alone, first

    def dump_version_problem(self, dump_client: str) -> str | None: ...
    def databases(self) -> list[str]: ...
    def is_empty(self, name: str) -> bool: ...
    def load_globals(self, text: str) -> str: ...
    def restore_commands(self, database: DumpedDatabase, into: str, drop: bool) -> RestoreCommands: ...
    def restore_transform(self, dump_client: str, create: bool) -> Transform | None: ...
    # load one database (`commands.load`, through `transform`) on up to `jobs` connections, writing what
    # it must into a folder made in `spool`; the clients' warnings. DumpError when it fails
    def load_database(
        self, commands: RestoreCommands, transform: Transform | None, what: str, jobs: int, spool: Path
    ) -> str: ...
    # the dump's script creating `scratch` instead of its database, marked with `marker` as it is created
    def scratch_transform(self, database: str, scratch: str, dump_client: str, marker: str) -> Transform: ...
    def scratch_databases(self, prefix: str) -> dict[str, str]: ...  # name -> its marker ("" for none)
    def count_rows(self, into: str, database: str) -> dict[TableKey, int]: ...
    def drop(self, name: str) -> None: ...
    # one statement run on scratch database `into` in a read-only session: the first column of its first
    # row (None: no row); DumpError when it fails
    def query_value(self, into: str, statement: str) -> str | None: ...


class Engine(Protocol):
    """One database engine: the same few attributes and functions for each (`postgresql`, `mariadb`,
    `sqlite`)."""

    @property
    def name(self) -> str:
        """DatabaseUrl.engine, the manifest's "engine", the scheme of the URL as printed."""
        ...

    @property
    def schemes(self) -> tuple[str, ...]:
        """The URL schemes that name it (lower case)."""
        ...

    @property
    def password_variable(self) -> str:
        """The client's own variable for a password (PGPASSWORD, MYSQL_PWD)."""
        ...

    @property
    def dump_client(self) -> str:
        """The client that dumps (pg_dump, mariadb-dump)."""
        ...

    @property
    def restore_client(self) -> str:
        """The client that loads a dump back (psql, mariadb)."""
        ...

    @property
    def image(self) -> str:
        """The Dockerfile target whose image has its clients (postgres, mariadb): `helm-values` picks it."""
        ...

    @property
    def programs(self) -> tuple[str, ...]:
        """The clients a step may call by name that only its `image` has (pg_dump, mariadb ...)."""
        ...

    @property
    def local_files(self) -> bool:
        """Whether its databases are files on this machine (SQLite), not a server's: no password, no
        other server to load into (`--to-url`, VERIFY_URL); `restore TASK --to DIR` loads them into DIR."""
        ...

    def parse_url(self, text: str) -> DatabaseUrl:
        """The URL's parts; ValueError says what is wrong (never quoting a password)."""
        ...

    def dump(self, request: DumpRequest, src: Path) -> ServerDump:
        """Every chosen database of the server dumped into `src`, with the globals (impure)."""
        ...

    def load(self, request: RestoreDumpRequest) -> None:
        """The restore, drill or cleanup `request.mode` names, of the dump in `request.folder` (impure);
        DumpError when it failed, Refused when nothing was loaded. A server engine's is the same for
        every one: `databases.restore.load_into_server`, on its `server`."""
        ...


@dataclass(frozen=True)
class ServerEngine:
    """An `Engine` whose URL names a server as PostgreSQL's and MariaDB's do (`url.parse_server_url`):
    its names, and its impure functions (each imports its engine's edge module when it is called)."""

    name: str
    schemes: tuple[str, ...]
    password_variable: str
    dump_client: str
    restore_client: str
    image: str
    programs: tuple[str, ...]
    dump: Callable[[DumpRequest, Path], ServerDump] = field(repr=False)
    server: Callable[[DatabaseUrl, str | None], AbstractContextManager[Server]] = field(repr=False)

    @property
    def local_files(self) -> bool:
        return False

    def parse_url(self, text: str) -> DatabaseUrl:
        return parse_server_url(text, self.name)

    def load(self, request: RestoreDumpRequest) -> None:
        from .restore import load_into_server  # imported here: it runs clients, and the registry stays pure

        load_into_server(self, request)
