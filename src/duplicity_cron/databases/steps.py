"""What the runner's steps pass to the two programs of this package, the same way for both: a request
in the step's environment as JSON (`to_env`, read back by `from_env`: the URL and the password never
in a command line), and the step's shell line (`dump_shell`, `restore_shell`).

- `DumpRequest`: the built-in EXTRACT, `python -m duplicity_cron.databases.dump`;
- `RestoreDumpRequest`: `python -m duplicity_cron.databases.restore`, the database half of `restore TASK`
  and of a drill.

The password of a request is the one its client gets, decided by the caller once (`Task.server_password`,
`databases.password_for`); None: the client's own variables and files.

Pure.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..model import DatabaseUrl, SqlCheck, Task
from .postgresql.parts import SPLIT_BYTES

DUMP_VARIABLE = "DUPLICITY_CRON_DUMP"  # DumpRequest as JSON
RESTORE_VARIABLE = "DUPLICITY_CRON_LOAD"  # RestoreDumpRequest as JSON
RESTORE_MODES = ("restore", "drill", "cleanup")
EXIT_FAILED, EXIT_REFUSED = 1, 2  # the restore's exit status: failed; refused, nothing loaded
# A drill's line saying how long its databases took to load (`loaded_seconds` reads it back).
LOADED_IN = "the scratch databases loaded in "


def loaded_line(seconds: float) -> str:
    return f"{LOADED_IN}{seconds:.3f}s"


def loaded_seconds(lines: list[str]) -> float | None:
    """The load time a drill's step said (`loaded_line`), None when it said none."""
    for line in reversed(lines):
        where = line.find(LOADED_IN)
        if where >= 0:
            try:
                return float(line[where + len(LOADED_IN) :].split("s", 1)[0])
            except ValueError:
                return None
    return None


def _url_data(url: DatabaseUrl) -> dict[str, Any]:
    """The URL's fields but its password (a request carries the password its client gets, once)."""
    return {**asdict(url), "password": None}


def _url_from(data: Mapping[str, Any]) -> DatabaseUrl:
    return DatabaseUrl(**{**data, "options": tuple(tuple(pair) for pair in data.get("options") or ())})


@dataclass(frozen=True)
class DumpRequest:
    url: DatabaseUrl
    databases: tuple[str, ...]  # names, `!name` excludes; () is the URL's database, else every one
    password: str | None = field(repr=False)
    # a PostgreSQL table this large is read in parts (postgresql.parts); None: never. Not in the
    # request's JSON: the tests set it to split their small tables
    split_bytes: int | None = SPLIT_BYTES

    @classmethod
    def for_task(cls, task: Task) -> DumpRequest:
        """The built-in dump of a task with DATABASE_URL."""
        if task.database_url is None:
            raise ValueError(f"task {task.id} has no DATABASE_URL")
        return cls(task.database_url, task.databases, task.server_password)

    def to_env(self) -> dict[str, str]:
        data = {"url": _url_data(self.url), "databases": list(self.databases), "password": self.password}
        return {DUMP_VARIABLE: json.dumps(data)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DumpRequest:
        """The request of `to_env`; KeyError, ValueError or TypeError when there is none or it is damaged."""
        data = json.loads(env[DUMP_VARIABLE])
        return cls(_url_from(data["url"]), tuple(data.get("databases") or ()), data.get("password"))


@dataclass(frozen=True)
class RestoreDumpRequest:
    mode: str  # one of RESTORE_MODES
    url: DatabaseUrl  # the server to restore into or drill on
    password: str | None = field(repr=False)
    folder: Path  # the restored dump ($SRC as it was)
    databases: tuple[str, ...] = ()  # () is every database of the dump
    drop: bool = False
    task: str = ""  # for the scratch names of a drill
    deployment: str = ""  # the deployment's id (hex): a drill's scratch databases are marked with it
    # an engine of local files (`Engine.local_files`): restore them into this folder, not where they were
    to_folder: Path | None = None
    checks: tuple[SqlCheck, ...] = ()  # a drill's VERIFY_SQL
    jobs: int = 1  # connections each database is loaded on (CONF_RESTORE_JOBS); 0: as many as CPUs

    def to_env(self) -> dict[str, str]:
        data = {
            **asdict(self),
            "url": _url_data(self.url),
            "folder": str(self.folder),
            "databases": list(self.databases),
            "to_folder": None if self.to_folder is None else str(self.to_folder),
            "checks": [asdict(check) for check in self.checks],
        }
        return {RESTORE_VARIABLE: json.dumps(data)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RestoreDumpRequest:
        """The request of `to_env`; KeyError, ValueError or TypeError when there is none or it is damaged."""
        data = json.loads(env[RESTORE_VARIABLE])
        if data["mode"] not in RESTORE_MODES:
            raise ValueError(f"unknown mode {data['mode']!r}")
        return cls(
            mode=data["mode"], url=_url_from(data["url"]), password=data.get("password"),
            folder=Path(data["folder"]), databases=tuple(data.get("databases") or ()),
            drop=bool(data.get("drop")), task=data.get("task", ""),
            deployment=_hex(data.get("deployment", "")),
            to_folder=Path(data["to_folder"]) if data.get("to_folder") else None,
            checks=tuple(SqlCheck(**check) for check in data.get("checks") or ()),
            jobs=int(data.get("jobs", 1)),
        )  # fmt: skip


def _hex(text: str) -> str:
    """A deployment's id, which a marker quotes in SQL as it is: hex digits only, else ValueError."""
    if not all(char in "0123456789abcdef" for char in text):
        raise ValueError(f"not a deployment id: {text[:40]!r}")
    return text


def _shell(module: str) -> str:
    """The step's shell line: this package's `module` run by this Python."""
    return f"exec {shlex.join([sys.executable, '-m', f'{__package__}.{module}'])}"


def dump_shell() -> str:
    """The built-in EXTRACT's step (its environment: `DumpRequest.to_env`)."""
    return _shell("dump")


def restore_shell() -> str:
    """The step restoring a dump, or drilling (its environment: `RestoreDumpRequest.to_env`)."""
    return _shell("restore")
