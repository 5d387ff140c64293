"""Loading a built-in dump (a folder `runner.dump` made, restored from the target) into a server: the
database half of `restore TASK`, and of a drill. Run as `python -m duplicity_cron.runner.load_dump` as
one step of them (its output logged, its process group stopped on an interrupt or a timeout), told
what to do in its environment (the URL and password never in a command line).

- `restore`: the dump's client must not be newer than the one here; the databases chosen must all be
  in the dump, and none may exist on the server unless `drop` or it holds nothing (checked before
  anything is loaded; an empty one is loaded into as it is); then the globals (the roles/users that
  exist are left as they are), and the databases: the maintenance one (`postgres`, which the clients
  connect to) alone, first, then the rest two at a time: each dropped (with `drop`), loaded (its script
  adapted to the server's version), analyzed.
- `drill`: the scratch databases an earlier drill of the task left (killed) are dropped; each database
  is loaded under a scratch name (no globals, no owners or privileges), every table's rows counted and
  compared with the manifest; the scratch databases are dropped after, whatever happened.
- `cleanup`: the task's scratch databases dropped (after a drill that was stopped).

Exit status: 0 done, 1 failed (one line starting with `error:`), 2 refused, nothing loaded.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..config.database_url import parse_database_url
from ..sources.common import MANIFEST, count_problem, scratch_names, scratch_prefix
from .clients import DumpError, each_at_once, run_client, run_pipeline
from .dump_manifest import GLOBALS_FILE, say, warn
from .load_server import DumpedDatabase, Server, server_for

LOAD_VARIABLE = "DUPLICITY_CRON_LOAD"  # the request, as JSON
JOBS = 2  # databases loaded at once
EXIT_FAILED, EXIT_REFUSED = 1, 2


class Refused(Exception):
    """Nothing was loaded: the request cannot be done as it is (exit status 2)."""


@dataclass(frozen=True)
class LoadRequest:
    mode: str  # "restore", "drill" or "cleanup"
    url: str  # a DATABASE_URL (may hold a password)
    password: str | None  # wins over the URL's; None: the URL's, else the client's own variables
    folder: Path  # the restored dump ($SRC as it was)
    databases: tuple[str, ...] = ()  # () is every database of the dump
    drop: bool = False
    task: str = ""  # for the scratch names of a drill

    def step_env(self) -> dict[str, str]:
        """The environment of the step that runs this module (the request never in a command line)."""
        data = {**asdict(self), "folder": str(self.folder), "databases": list(self.databases)}
        return {LOAD_VARIABLE: json.dumps(data)}


PASSWORD_VARIABLES = {"postgresql": "PGPASSWORD", "mariadb": "MYSQL_PWD"}


def password_for(url: str, task_password: str | None, env: Mapping[str, str]) -> str | None:
    """The password for a server other than the task's (`--to-url`, VERIFY_URL): its URL's (None
    here: the client reads it from the URL), else the client's own variable (PGPASSWORD, MYSQL_PWD)
    when the environment has it (None), else the task's (DATABASE_PASSWORD, or DATABASE_URL's)."""
    parsed = parse_database_url(url)
    if parsed.password is not None or env.get(PASSWORD_VARIABLES[parsed.engine]):
        return None
    return task_password


def request_from_env(env: Mapping[str, str]) -> LoadRequest:
    data = json.loads(env[LOAD_VARIABLE])
    return LoadRequest(
        mode=data["mode"], url=data["url"], password=data.get("password"), folder=Path(data["folder"]),
        databases=tuple(data.get("databases") or ()), drop=bool(data.get("drop")), task=data.get("task", ""),
    )  # fmt: skip


def read_dump(folder: Path, engine: str) -> tuple[dict[str, Any], list[DumpedDatabase]]:
    """The manifest and the databases it lists; DumpError when it is missing, damaged or of another engine."""
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


def choose(dumped: list[DumpedDatabase], wanted: tuple[str, ...]) -> list[DumpedDatabase]:
    names = [database.name for database in dumped]
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise Refused(
            f"the dump holds no database {', '.join(map(repr, unknown))}; "
            f"it holds {', '.join(names) or 'none'}"
        )
    return [database for database in dumped if not wanted or database.name in wanted]


def restore(request: LoadRequest, server: Server) -> None:
    manifest, dumped = read_dump(request.folder, server.engine)
    chosen = choose(dumped, request.databases)
    client = str(manifest.get("client_version", ""))
    problem = server.dump_version_problem(client)
    if problem:
        raise DumpError(problem)
    existing = set(server.databases())
    clashes = [database.name for database in chosen if database.name in existing]
    empty = set() if request.drop else {name for name in clashes if server.is_empty(name)}
    refused = [name for name in clashes if name not in empty]
    if refused and not request.drop:
        raise Refused(
            f"{server.where} has database(s) {', '.join(refused)} already; add --drop to replace them "
            "(nothing was restored)"
        )
    for name in sorted(empty):
        say(f"database {name} exists and holds nothing: loading into it (its CREATE DATABASE left out)")
    # decided before anything is dropped (asking the server's version connects to `postgres`)
    transforms = {
        database.name: server.restore_transform(client, database.name not in empty) for database in chosen
    }
    say(server.load_globals((request.folder / GLOBALS_FILE).read_text(encoding="utf-8")))

    def load(database: DumpedDatabase) -> None:
        commands = server.restore_commands(database, database.name, request.drop)
        if commands.drop is not None and database.name in existing:
            run_client(commands.drop, f"dropping database {database.name!r}")
        transform = transforms[database.name]
        what = f"loading database {database.name!r}"
        _warnings(database.name, run_pipeline(commands.load, what, transform))
        if commands.analyze is not None:
            run_client(commands.analyze, f"analyzing database {database.name!r}")
        how = " (into the empty one there)" if database.name in empty else ""
        how = " (dropped first)" if request.drop and database.name in clashes else how
        say(f"restored database {database.name}{how}")

    # the clients connect to the maintenance database: it is dropped and loaded alone, before the rest
    first = [database for database in chosen if database.name == server.maintenance]
    each_at_once(first, load, 1)
    each_at_once([database for database in chosen if database not in first], load, JOBS)
    say(f"restored {len(chosen)} database(s) into {server.where}")


def _warnings(database: str, stderr: str) -> None:
    for line in [line for line in stderr.splitlines() if line.strip()][:20]:
        warn(f"database {database}: {line.strip()}")


def drop_scratch(server: Server, task: str) -> list[str]:
    """Drop the task's scratch databases (left by a drill that was killed); their names."""
    prefix = scratch_prefix(task)
    found = [name for name in server.databases() if name.startswith(prefix)]
    for name in found:
        server.drop(name)
    return found


def drill(request: LoadRequest, server: Server) -> None:
    manifest, dumped = read_dump(request.folder, server.engine)
    client = str(manifest.get("client_version", ""))
    problem = server.dump_version_problem(client)
    if problem:
        raise DumpError(problem)
    for name in drop_scratch(server, request.task):
        say(f"dropped scratch database {name}, left by an earlier drill")
    names = scratch_names(request.task, secrets.token_hex(4), [database.name for database in dumped])
    try:

        def check(database: DumpedDatabase) -> str | None:
            scratch = names[database.name]
            commands = server.restore_commands(database, scratch, False)
            transform = server.scratch_transform(database.name, scratch, client)
            run_pipeline(commands.load, f"loading database {database.name!r} into {scratch}", transform)
            found = server.count_rows(scratch, database.name)
            mismatch = count_problem(database.name, database.rows, found)
            if mismatch is None:
                rows = sum(found.values())
                say(
                    f"loaded database {database.name} into {scratch}: {len(found)} tables, "
                    f"{rows:,} rows, as the manifest says"
                )
            return mismatch

        problems = [found for found in each_at_once(dumped, check, JOBS) if found]
    finally:
        for scratch in names.values():
            try:
                server.drop(scratch)
            except DumpError as exc:
                warn(f"cannot drop scratch database {scratch}: {exc}")
    if problems:
        raise DumpError(problems[0])
    tables = sum(len(database.rows) for database in dumped)
    say(
        f"loaded {len(dumped)} database(s) into scratch databases on {server.where} and dropped them: "
        f"the rows of all {tables} tables are the manifest's"
    )


def main() -> int:
    try:
        request = request_from_env(os.environ)
        url = parse_database_url(request.url)
    except (KeyError, ValueError) as exc:
        print(f"error: the load was started without its settings ({exc})", file=sys.stderr)
        return EXIT_REFUSED
    try:
        with server_for(url, request.password or url.password) as server:
            if request.mode == "restore":
                restore(request, server)
            elif request.mode == "drill":
                drill(request, server)
            else:
                for name in drop_scratch(server, request.task):
                    say(f"dropped scratch database {name}")
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_REFUSED
    except DumpError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except OSError as exc:
        print(f"error: cannot read the dump: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
