"""Output helpers the benchmark scripts share (imported from the scripts' own folder)."""

from __future__ import annotations

from pathlib import Path


def table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a right-aligned table with a header rule, then a blank line."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    print()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was around a measurement."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
