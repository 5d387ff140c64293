"""A database server as `TASK_<id>_DATABASE_URL` (or VERIFY_URL, `restore --to-url`) names it, parsed
once at start-up by its engine (`databases.parse_database_url`) and passed as this value from then on.

The URL's password is a field of its own, out of the repr, so that no command line, log line or
traceback ever holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatabaseUrl:
    """A database server to dump, as a URL names it. Empty fields are the client's defaults."""

    engine: str  # the engine's name: `databases.ENGINES`
    user: str | None = None
    host: str | None = None  # a name, an address, or a socket folder/file (an absolute path)
    port: int | None = None
    database: str | None = None  # the database of the URL's path
    options: tuple[tuple[str, str], ...] = ()  # the query's `name=value` pairs, in order
    password: str | None = field(default=None, repr=False)

    def option(self, name: str) -> str | None:
        """The last value of an option of the query, as a client reads it."""
        found = None
        for key, value in self.options:
            if key == name:
                found = value
        return found

    def without_password(self) -> str:
        """The URL as it may be printed: the password left out."""
        user = self.user or ""
        host = f"[{self.host}]" if self.host and ":" in self.host else (self.host or "")
        authority = (f"{user}@" if user else "") + host + (f":{self.port}" if self.port else "")
        return f"{self.engine}://{authority}/{self.database or ''}"
