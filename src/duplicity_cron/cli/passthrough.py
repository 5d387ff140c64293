"""Any other command: validate, then replace this process with it, as the original entrypoint did."""

from __future__ import annotations

import os
import sys

from ..config.environment import Environment


def main(args: list[str], environment: Environment) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(args[0], args, environment.values)
    except FileNotFoundError:
        print(f"duplicity-cron: {args[0]}: command not found", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"duplicity-cron: {args[0]}: permission denied", file=sys.stderr)
        return 126
