"""SQLite's URL, as SQLAlchemy spells a file: `sqlite:////data/app.db` (four slashes: the absolute path
/data/app.db), or a glob for several files, `sqlite:////data/*.db`; and where each file's copy goes in
`$SRC`.

Pure. A relative path (`sqlite:///app.db`, SQLAlchemy's relative to its working folder) is refused: a
backup must not depend on the folder it is started in. A host (`sqlite://host/...`) names nothing in
SQLite. The query may hold one option, `timeout` (seconds, as SQLAlchemy's sqlite dialect reads it): how
long the copy waits for a writer's lock before it fails; any other option is refused.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import parse_qsl, quote

from ...model import DatabaseUrl
from ..common import DATABASES_FOLDER

NAME = "sqlite"
SUFFIX = ".zst"  # each database's consistent copy, compressed (zstd frames): app.db.zst
DEFAULT_TIMEOUT = 30.0  # seconds the copy waits for a writer's lock, in all
OPTIONS = ("timeout",)
EXAMPLE = "sqlite:////data/app.db"


def parse_url(text: str) -> DatabaseUrl:
    """`sqlite:////absolute/path` (a glob: `*`, `[...]`), its `timeout` option; ValueError says what is
    wrong and how to write it."""
    url = text.strip()
    _scheme, _separator, rest = url.partition("://")
    if "#" in rest:
        raise ValueError(f"a '#' is not part of a SQLite URL; write the file's path, as {EXAMPLE}")
    rest, _question, query = rest.partition("?")
    if not rest.startswith("/"):
        host = rest.split("/", 1)[0]
        if not host:
            raise ValueError(f"names no file (an in-memory database cannot be backed up); write {EXAMPLE}")
        raise ValueError(
            f"a SQLite URL names a file, not a host ({host!r}); write the path after four slashes, "
            f"as {EXAMPLE}"
        )
    path = rest[1:]
    if not path:
        raise ValueError(f"names no file (an in-memory database cannot be backed up); write {EXAMPLE}")
    if not path.startswith("/"):
        raise ValueError(
            f"the path {path!r} is relative (three slashes); write it absolute, after four slashes: "
            f"sqlite:////{path.lstrip('./')}"
        )
    folded = PurePosixPath(path)
    if ".." in folded.parts:
        raise ValueError(f"the path {path!r} holds '..'; write the folder it means")
    options = tuple(parse_qsl(query, keep_blank_values=True))
    for name, value in options:
        if name not in OPTIONS:
            raise ValueError(f"option {name!r} of the query is not one a SQLite backup reads; known: timeout")
        if not _seconds(value):
            raise ValueError(f"timeout={value!r}: expected a number of seconds greater than 0")
    return DatabaseUrl(engine=NAME, database=str(folded), options=options)


def _seconds(value: str) -> bool:
    try:
        return 0 < float(value) < 86400
    except ValueError:
        return False


def timeout_of(url: DatabaseUrl) -> float:
    """How long the copy of one database waits for a writer's lock, in all (seconds)."""
    value = url.option("timeout")
    return DEFAULT_TIMEOUT if value is None else float(value)


def is_glob(path: str) -> bool:
    return any(character in path for character in "*[")


def dump_file(path: str) -> str:
    """The copy's path under $SRC: the file's absolute path percent-encoded into one safe file name."""
    return f"{DATABASES_FOLDER}/{quote(path, safe='')}{SUFFIX}"
