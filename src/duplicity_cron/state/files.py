"""JSON files that readers see whole or not at all, private to the runner's user, and what to say when
a state file or folder is damaged (a file where a folder should be, a record that is not JSON, a date
without offset...).

History records and the heartbeat carry output tails: folders are created 0700 and files 0600, and
`make_private` tightens a state folder that an older version (or a volume's defaults) left open.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_sequence = itertools.count()
# Records are a few KiB (the output tail is 50 lines of at most 1000 characters): anything much larger is
# not one of ours, and a symlink to /dev/zero must not fill the memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
PROBE_BYTES = 4096  # a block: what one more record needs at least
# What reading a damaged state file can raise (JSON nested too deeply: RecursionError).
UNREADABLE = (OSError, ValueError, KeyError, TypeError, OverflowError, RecursionError)


class Damaged(Exception):
    """A state file or folder that is there but cannot be used; the message names it and says why."""


def unique_suffix() -> str:
    """`<pid>-<counter>`: unique across the processes and threads that write one folder."""
    return f"{os.getpid()}-{next(_sequence)}"


def write_json_atomically(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part; private
    (0600), its missing folders made (0700).

    `durable` also survives a power loss (fsync before the rename); a record that only matters while
    its writer lives (a run in progress) skips that cost. Compact JSON: the C encoder, not the slow
    pure-Python one that indentation needs.
    """
    text = json.dumps(data, ensure_ascii=False).encode("utf-8")
    try:
        write_atomically(path, text, durable=durable)
    except FileNotFoundError:
        make_folder(path.parent)
        write_atomically(path, text, durable=durable)


def write_atomically(path: Path, data: bytes, *, durable: bool = True, mode: int = FILE_MODE) -> None:
    """Write `data` to `path` in an existing folder through a temporary file renamed into place, created
    with `mode` (less the umask); OSError (FileNotFoundError: no such folder) when it cannot."""
    temporary = path.with_name(f".tmp-{unique_suffix()}-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
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
    """The decoded file; OSError when it is missing or cannot be opened, ValueError when it is not a
    regular file (a folder, a FIFO: never waited on), too large, or not JSON."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        with open(fd, "rb", closefd=False) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def describe(exc: BaseException) -> str:
    """Why a state file could not be read, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg}, line {exc.lineno})"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, KeyError):
        return f"no field {exc}"
    if isinstance(exc, TypeError):
        return f"not the expected shape ({exc})"
    return str(exc) or type(exc).__name__


def checked_time(moment: datetime, name: str) -> datetime:
    """`moment` if it can be judged and shown: with a UTC offset, in years 2..9998 (so that converting it
    to any zone works). ValueError otherwise."""
    if moment.utcoffset() is None:
        raise ValueError(f"{name} {moment.isoformat()} has no UTC offset")
    try:
        in_range = 1 < moment.astimezone(UTC).year < 9999
    except OverflowError:
        in_range = False
    if not in_range:
        raise ValueError(f"{name} {moment.isoformat()} is out of range")
    return moment


def parse_iso_time(value: Any, name: str) -> datetime:
    """The ISO 8601 time with offset of a JSON record's field `name`; ValueError or TypeError otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string")
    return checked_time(datetime.fromisoformat(value), name)


def folder_problem(path: Path) -> str | None:
    """None when `path` is a folder or is not there yet (it is made when needed); else what is in the
    way: the first of it and its parents that is not a folder, or why it cannot be looked at."""
    for candidate in [*reversed(path.parents), path]:
        try:
            mode = candidate.stat().st_mode
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"{candidate}: {describe(exc)}"
        if not stat.S_ISDIR(mode):
            return f"{candidate} is not a folder"
    return None


def write_problem(folder: Path) -> str | None:
    """None when a file can be written in the existing `folder`, else why not (read-only, full, no
    permission): what the scheduler and `exec` meet when they record. The probe file is removed."""
    probe = folder / f".probe-{unique_suffix()}"
    try:
        with probe.open("xb") as stream:
            stream.write(b"\0" * PROBE_BYTES)
    except OSError as exc:
        return describe(exc)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None
