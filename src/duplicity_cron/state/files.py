"""JSON files that readers see whole or not at all."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

_sequence = itertools.count()


def unique_suffix() -> str:
    """`<pid>-<counter>`: unique across the processes and threads that write one folder."""
    return f"{os.getpid()}-{next(_sequence)}"


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{unique_suffix()}-{path.name}")
    try:
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def read_json(path: Path) -> Any:
    """The decoded file; OSError or ValueError when it is missing or not JSON."""
    return json.loads(path.read_text(encoding="utf-8"))
