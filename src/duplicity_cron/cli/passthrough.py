"""Any other command: validate, then replace this process with it, as the original entrypoint did.

When it cannot be started, one line on stderr and bash's exit codes: 127 when there is no such command,
126 when it was found but cannot be executed (a folder, no x bit, no `#!` line, ...).
"""

from __future__ import annotations

import errno
import os
import sys

from ..config.environment import Environment
from .common import error

EXIT_NOT_FOUND, EXIT_CANNOT_EXECUTE = 127, 126


def main(args: list[str], environment: Environment) -> int:
    name = args[0]
    if not name or "\0" in name:
        # No file has such a name; os.exec* would raise ValueError.
        what = "an empty command name" if not name else "a NUL byte in the command name"
        return _fail(name, f"command not found ({what})", EXIT_NOT_FOUND)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(name, args, environment.values)
    except ValueError as exc:  # a NUL byte in an argument or an environment value
        return _fail(name, f"cannot execute: {exc}", EXIT_CANNOT_EXECUTE)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR) and "/" not in name:
            return _fail(name, "command not found", EXIT_NOT_FOUND)
        if exc.errno == errno.ENOENT:
            return _fail(name, "no such file", EXIT_NOT_FOUND)
        return _fail(name, _why(name, exc), EXIT_CANNOT_EXECUTE)
    return EXIT_CANNOT_EXECUTE  # not reached: execvpe returns only by raising


def _why(name: str, exc: OSError) -> str:
    """What bash would say, a little more helpfully."""
    if exc.errno == errno.EACCES and os.path.isdir(name):
        return "cannot execute: is a folder"
    if exc.errno == errno.EACCES:
        return "cannot execute: permission denied (is its x bit set?)"
    if exc.errno == errno.ENOEXEC:
        return "cannot execute: not a program this system runs (a script needs a #! line)"
    return f"cannot execute: {exc.strerror or exc}"


def _fail(name: str, message: str, code: int) -> int:
    # An empty name, or one with control characters, is shown quoted: it stays visible and on one line.
    shown = name if name and name.isprintable() else repr(name)
    error(f"duplicity-cron: {shown}: {message}")
    return code
