"""Databases as backup sources: the registry of engines. One package per engine (`postgresql`,
`mariadb`, `mysql`, `sqlite`) holds all of it: its URL, its clients' command lines and SQL (pure), its
dump and the server a dump is restored into (impure); each exposes one `Engine` object (`engine.py`) with
the same few functions, and nothing outside an engine's package asks which engine it is: it asks
`engine_for`.

Shared: the rules (`common`), the row counters (`rows/`), running clients (`clients`), compressing a
dump (`compress`), the manifest (`manifest`), the steps' requests (`steps`), and the two programs the
runner's steps run, `python -m duplicity_cron.databases.dump` and `... .restore`.

A layer below `config` (which parses DATABASE_URL through `parse_database_url`, so that a wrong URL is
a configuration error at start-up): may import `model` only. This module and each engine's `__init__`
are pure (importing them starts nothing); the edges are `clients`, `compress`, `manifest`, `dump`,
`restore` and each engine's `dump` and `server` (tests/unit/test_architecture.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import DatabaseUrl
from . import mariadb, mysql, postgresql, sqlite
from .engine import Engine

ENGINES: tuple[Engine, ...] = (
    postgresql.ENGINE,
    mariadb.ENGINE,
    mysql.ENGINE,
    sqlite.ENGINE,
)
_BY_SCHEME = {scheme: engine for engine in ENGINES for scheme in engine.schemes}


def engine_for(what: str | DatabaseUrl) -> Engine:
    """The engine of a URL (parsed), or of a scheme or engine name; ValueError for none."""
    name = what.engine if isinstance(what, DatabaseUrl) else what.lower()
    engine = _BY_SCHEME.get(name)
    if engine is None:
        raise ValueError(f"no database engine {name!r}; known: {', '.join(e.name for e in ENGINES)}")
    return engine


def parse_database_url(text: str) -> DatabaseUrl:
    """A DATABASE_URL (VERIFY_URL, `--to-url`) parsed by the engine its scheme names; ValueError says
    what is wrong (never quoting a password)."""
    url = text.strip()
    scheme, separator, _rest = url.partition("://")
    engine = _BY_SCHEME.get(scheme.lower())
    if not separator or engine is None:
        raise ValueError(
            f"expected postgresql://, mariadb:// or mysql:// followed by user@host:port/, or "
            f"sqlite:////path/of/the.db, got a URL of scheme {scheme.lower()!r}"
            if separator
            else "expected a URL such as postgresql://user@host:5432/, mariadb://user@host:3306/, "
            "mysql://user@host:3306/ or sqlite:////data/app.db"
        )
    return engine.parse_url(url)


def password_for(url: DatabaseUrl, task_password: str | None, env: Mapping[str, str]) -> str | None:
    """The password for a server other than the task's (`--to-url`, VERIFY_URL), the one rule: its
    URL's, else the client's own variable (PGPASSWORD, MYSQL_PWD) when the environment has it (None:
    the client reads it), else the task's (`Task.server_password`)."""
    if url.password is not None:
        return url.password
    if env.get(engine_for(url).password_variable):
        return None
    return task_password


__all__ = ["ENGINES", "Engine", "engine_for", "parse_database_url", "password_for"]
