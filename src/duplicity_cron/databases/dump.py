"""The built-in EXTRACT of a task with DATABASE_URL: every chosen database dumped into `$SRC`, with the
users/roles and a manifest beside them, by the engine the registry names for the URL. Run as
`python -m duplicity_cron.databases.dump` by the step that `steps.dump_shell` and `DumpRequest.to_env`
make (`runner.builtin.dump_step`), so the step's timeout, output and stop escalation apply to it.

`$SRC` after a dump (every file mode 600):

    globals.sql                  PostgreSQL's roles and tablespaces, or MariaDB's users and grants
    databases/<name>.sql.zst     one per database, <name> percent-encoded
    manifest.json                server and client versions, databases, tables, row counts, sizes

A dump that fails is one line on stderr starting with `error:`, and exit status 1: the run fails and
nothing is backed up.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import engine_for
from .common import DATABASES_FOLDER, MANIFEST
from .engine import DumpError
from .manifest import ServerDump, say, write_manifest
from .steps import DumpRequest


def dump(request: DumpRequest, src: Path) -> ServerDump:
    """Dump into `src` (which must exist) and write the manifest last."""
    started, clock = datetime.now(UTC), time.monotonic()
    (src / DATABASES_FOLDER).mkdir(exist_ok=True)
    result = engine_for(request.url).dump(request, src)
    write_manifest(src / MANIFEST, result, started, time.monotonic() - clock, request.url)
    return result


def _summary(result: ServerDump, seconds: float) -> str:
    size = sum(database.bytes for database in result.databases)
    rows = sum(table.rows or 0 for database in result.databases for table in database.tables)
    return (
        f"dumped {len(result.databases)} database(s) of {result.engine} {result.server_version}: "
        f"{rows} rows, {size / 1e6:.1f} MB compressed, in {seconds:.1f} s"
    )


def main() -> int:
    os.umask(0o077)  # the dumps hold data and password hashes: mode 600
    try:
        request = DumpRequest.from_env(os.environ)
        src = Path(os.environ["SRC"])
    except (KeyError, ValueError, TypeError) as exc:
        print(f"error: the dump was started without its settings ({exc})", file=sys.stderr)
        return 2
    clock = time.monotonic()
    try:
        result = dump(request, src)
    except DumpError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except OSError as exc:
        where = exc.filename or src
        print(f"error: cannot write the dump into {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    say(_summary(result, time.monotonic() - clock))
    return 0


if __name__ == "__main__":
    sys.exit(main())
