"""What no command may show: a traceback. An unexpected exception becomes one masked line and exit 70,
Ctrl-C exit 130, a reader that went away (`status | head -1`) exit 141, as a shell reports SIGPIPE.

A traceback's message could hold a secret value, and to a user it says "crashed", not what to do.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable

from ..config.secrets import Masker, secret_values
from ..model import printable

EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug of this program
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class Masks:
    """The masker to apply to a last-resort message: the loaded environment's once there is one."""

    def __init__(self) -> None:
        self.mask: Callable[[str], str] = Masker(secret_values(os.environ))


def guarded(command: Callable[[Masks], int], healthcheck: bool) -> int:
    """`command`'s exit code; a line instead of a traceback for what escaped it."""
    masks = Masks()
    try:
        code = command(masks)
        sys.stdout.flush()  # here, not in the interpreter's exit, where a broken pipe cannot be caught
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = (
            f"internal error: {type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:"
            f"{where.lineno} in {where.name}); this is a bug of duplicity-cron, please report it"
        )
        shown = printable(masks.mask(message))
        if healthcheck:  # a container's HEALTHCHECK knows 0 and 1 only, and reads stdout
            print(f"unhealthy: {shown}")
            return 1
        print(f"duplicity-cron: {shown}", file=sys.stderr)
        return EXIT_INTERNAL


def _stdout_to_devnull() -> None:
    """So that the interpreter's last flush at exit does not fail again (Python's documented recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
