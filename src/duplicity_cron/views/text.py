"""Text helpers shared by the views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from ..model import printable


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns; the last one is not padded. Control characters are shown escaped."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
