"""Restoring a built-in dump (a folder `databases.dump` made, restored from the target) into a server:
the database half of `restore TASK`, and of a drill, by the URL's engine (`Engine.load`: for a server
engine `load_into_server` below, on the server its `server` opens; SQLite's files: `sqlite.restore`).
Run as `python -m duplicity_cron.databases.restore` as one step of them (`steps.restore_shell`; its
output logged, its process group stopped on an interrupt or a timeout), told what to do in its
environment (`RestoreDumpRequest.to_env`: the URL and password never in a command line).

- `restore`: the dump's client must not be newer than the one here; the databases chosen must all be
  in the dump, and none may exist on the server unless `drop` or it holds nothing (checked before
  anything is loaded; an empty one is loaded into as it is); then the globals (the roles/users that
  exist are left as they are), and the databases: the maintenance one (`postgres`, which the clients
  connect to) alone, first, then the rest two at a time: each dropped (with `drop`), loaded (its script
  adapted to the server's version), analyzed.
- `drill`: the scratch databases an earlier drill of the task in this deployment left (killed) are
  dropped; each database is loaded under a scratch name (no globals, no owners or privileges), marked
  as this deployment's and task's as it is created (the time they all took to load said on a line of
  its own, `steps.loaded_line`), every table's rows counted and compared with the manifest, then the
  request's VERIFY_SQL statements run on them (`Server.query_value`, a read-only session on the scratch
  database), each of which must return a true value (`checks.check_problem`); the scratch databases
  are dropped after, whatever happened.
- `cleanup`: the task's scratch databases dropped (after a drill that was stopped).

Nothing is dropped by its name alone: only a database whose marker (`common.scratch_marker`) is this
deployment's and task's, checked just before (`drop_scratch`).

Exit status: 0 done, 1 failed (one line starting with `error:`), 2 refused, nothing loaded.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Collection

from . import engine_for
from .checks import assign_checks, check_problem
from .clients import each_at_once, run_client
from .common import choose, count_problem, scratch_marker, scratch_names, scratch_prefix
from .engine import DumpedDatabase, DumpError, Refused, Server, ServerEngine
from .manifest import GLOBALS_FILE, read_manifest, say, warn
from .steps import EXIT_FAILED, EXIT_REFUSED, RestoreDumpRequest, loaded_line

JOBS = 2  # databases loaded at once
MAX_LOAD_JOBS = 8  # connections a database is loaded on, at most, unless CONF_RESTORE_JOBS says more


def load_jobs(requested: int, cpus: int | None) -> int:
    """The connections each database is loaded on: `requested` (CONF_RESTORE_JOBS), else the machine's
    CPUs, at most MAX_LOAD_JOBS (the engine takes fewer when its server has fewer sessions free)."""
    return requested if requested > 0 else max(1, min(cpus or 1, MAX_LOAD_JOBS))


def restore(request: RestoreDumpRequest, server: Server) -> None:
    manifest, dumped = read_manifest(request.folder, server.engine)
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
    jobs = load_jobs(request.jobs, os.cpu_count())

    def load(database: DumpedDatabase) -> None:
        commands = server.restore_commands(database, database.name, request.drop)
        if commands.drop is not None and database.name in existing:
            run_client(commands.drop, f"dropping database {database.name!r}")
        transform = transforms[database.name]
        what = f"loading database {database.name!r}"
        _warnings(database.name, server.load_database(commands, transform, what, jobs, request.folder))
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


def drop_scratch(
    server: Server, request: RestoreDumpRequest, names: Collection[str] | None = None
) -> list[str]:
    """Drop the scratch databases of this task and deployment that hold its marker (`names` only, when
    given: a drill's own); their names. One named like them without the marker is left alone, in a
    warning: a user's database, another deployment's, or a drill's killed before it was marked."""
    prefix = scratch_prefix(request.task, request.deployment)
    marker = scratch_marker(request.task, request.deployment)
    found = {
        name: mark
        for name, mark in server.scratch_databases(prefix).items()
        if names is None or name in names
    }
    ours = [name for name, mark in found.items() if mark == marker]
    others = sorted(name for name, mark in found.items() if mark != marker)
    if others:
        warn(
            f"left alone: database(s) {', '.join(others)}, named like this task's scratch databases but "
            "not marked as this deployment's drill's; drop them by hand if they are leftovers"
        )
    for name in ours:
        server.drop(name)
    return ours


def drill(request: RestoreDumpRequest, server: Server) -> None:
    manifest, dumped = read_manifest(request.folder, server.engine)
    client = str(manifest.get("client_version", ""))
    problem = server.dump_version_problem(client)
    if problem:
        raise DumpError(problem)
    for name in drop_scratch(server, request):
        say(f"dropped scratch database {name}, left by an earlier drill")
    try:
        checks = assign_checks(request.checks, [database.name for database in dumped])
    except ValueError as exc:
        raise DumpError(str(exc)) from None
    token = secrets.token_hex(4)
    names = scratch_names(request.task, token, [database.name for database in dumped], request.deployment)
    marker = scratch_marker(request.task, request.deployment)
    jobs = load_jobs(request.jobs, os.cpu_count())
    try:

        def load(database: DumpedDatabase) -> None:
            scratch = names[database.name]
            commands = server.restore_commands(database, scratch, False)
            transform = server.scratch_transform(database.name, scratch, client, marker)
            what = f"loading database {database.name!r} into {scratch}"
            server.load_database(commands, transform, what, jobs, request.folder)

        def check(database: DumpedDatabase) -> str | None:
            scratch = names[database.name]
            found = server.count_rows(scratch, database.name)
            mismatch = count_problem(database.name, database.rows, found)
            if mismatch is not None:
                return mismatch
            rows = sum(found.values())
            say(
                f"loaded database {database.name} into {scratch}: {len(found)} tables, "
                f"{rows:,} rows, as the manifest says"
            )
            for sql in checks[database.name]:
                try:
                    value = server.query_value(scratch, sql.statement)
                except DumpError as exc:
                    return f"{sql.describe()} failed on the scratch copy of {database.name}: {exc}"
                if (problem := check_problem(sql, value)) is not None:
                    return problem
                say(f"{sql.describe()}: true on the scratch copy of {database.name}")
            return None

        started = time.monotonic()
        each_at_once(dumped, load, JOBS)
        say(loaded_line(time.monotonic() - started))
        problems = [found for found in each_at_once(dumped, check, JOBS) if found]
    finally:
        try:
            drop_scratch(server, request, set(names.values()))
        except DumpError as exc:
            warn(f"cannot drop the scratch databases {', '.join(names.values())}: {exc}")
    if problems:
        raise DumpError(problems[0])
    tables = sum(len(database.rows) for database in dumped)
    say(
        f"loaded {len(dumped)} database(s) into scratch databases on {server.where} and dropped them: "
        f"the rows of all {tables} tables are the manifest's"
    )


def load_into_server(engine: ServerEngine, request: RestoreDumpRequest) -> None:
    """A server engine's `load`: the restore, drill or cleanup of `request` on the server of its URL."""
    with engine.server(request.url, request.password) as server:
        if request.mode == "restore":
            restore(request, server)
        elif request.mode == "drill":
            drill(request, server)
        else:
            for name in drop_scratch(server, request):
                say(f"dropped scratch database {name}")


def main() -> int:
    try:
        request = RestoreDumpRequest.from_env(os.environ)
        engine = engine_for(request.url)
    except (KeyError, ValueError, TypeError) as exc:
        print(f"error: the load was started without its settings ({exc})", file=sys.stderr)
        return EXIT_REFUSED
    try:
        engine.load(request)
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
