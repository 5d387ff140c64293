"""The deployment's id: a random name kept in the state folder (`deployment-id`), made by the first
drill of a database task that needs it, the same for every later one.

Why: a drill's scratch databases are marked as this deployment's (`databases.common.scratch_marker`),
so that two deployments drilling on one server never drop each other's, and a killed drill's leftovers
are dropped by the next drill here. The state folder is the volume a deployment keeps (a new container
of it finds the same id; a hostname or a path would change with the container, or be the same in two
deployments); a deployment whose state is not kept gets a new id, and its earlier leftovers are then
left alone (named in a warning). A copy of a state folder for a second deployment must leave it out.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from .files import FILE_MODE, Damaged, make_folder, unique_suffix

FILE = "deployment-id"
_ID = re.compile(r"[0-9a-f]{16}")


def deployment_id(state_dir: Path) -> str:
    """The id in `state_dir`, made (16 hex digits, mode 600) when there is none; Damaged when the file
    holds something else, OSError when it cannot be read or written. Made whole or not at all (a
    temporary file linked into place): two drills starting at once read the same id."""
    path = state_dir / FILE
    if not path.exists():
        make_folder(state_dir)
        temporary = path.with_name(f".tmp-{unique_suffix()}-{FILE}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(8) + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first: its id
                os.link(temporary, path)
        finally:
            temporary.unlink()
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if not _ID.fullmatch(text):
        raise Damaged(
            f"{path} is not a deployment id (16 hex digits); delete it and a new one is made (the "
            "scratch databases of this deployment's earlier drills are then left alone)"
        )
    return text
