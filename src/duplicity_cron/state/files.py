"""JSON files that readers see whole or not at all, private to the runner's user.

History records and the heartbeat carry output tails: folders are created 0700 and files 0600, and
`make_private` tightens a state folder that an older version (or a volume's defaults) left open.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import stat
from pathlib import Path
from typing import Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_sequence = itertools.count()


def unique_suffix() -> str:
    """`<pid>-<counter>`: unique across the processes and threads that write one folder."""
    return f"{os.getpid()}-{next(_sequence)}"


def write_json_atomically(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part.

    `durable` also survives a power loss (fsync before the rename); a record that only matters while
    its writer lives (a run in progress) skips that cost. Compact JSON: the C encoder, not the slow
    pure-Python one that indentation needs.
    """
    text = json.dumps(data, ensure_ascii=False).encode("utf-8")
    temporary = path.with_name(f".tmp-{unique_suffix()}-{path.name}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileNotFoundError:
        make_folder(path.parent)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(text)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def make_folder(path: Path) -> None:
    """`path` and its missing parents, each created private."""
    if not path.is_dir():
        make_folder(path.parent)
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=FOLDER_MODE)


def make_private(state_dir: Path) -> list[str]:
    """Folders 0700 and files 0600 throughout `state_dir`; returns what could not be changed (a folder
    owned by another user), for a warning."""
    problems = []
    for root, _folders, files in os.walk(state_dir):  # os.walk does not follow links into folders
        entries = [(root, FOLDER_MODE)] + [(os.path.join(root, name), FILE_MODE) for name in files]
        for name, mode in entries:
            try:
                status = os.lstat(name)
                if not stat.S_ISLNK(status.st_mode) and status.st_mode & 0o777 & ~mode:
                    os.chmod(name, mode)
            except OSError as exc:
                problems.append(f"{name}: {exc.strerror or exc}")
    return problems


def read_json(path: Path) -> Any:
    """The decoded file; OSError or ValueError when it is missing or not JSON."""
    return json.loads(path.read_text(encoding="utf-8"))
