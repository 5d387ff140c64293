"""What a TARGET holds and what a backup did, as `status` shows them (JSON shapes and one-line texts)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from ..model import BackupStats, TargetContents

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(count: float) -> str:
    """`1.5 MiB`; a sign for negative counts (a target that shrank)."""
    size, unit = abs(count), 0
    while size >= 1024 and unit < len(_UNITS) - 1:
        size, unit = size / 1024, unit + 1
    sign = "-" if count < 0 else ""
    return f"{sign}{size:.0f} B" if unit == 0 else f"{sign}{size:.1f} {_UNITS[unit]}"


def _time(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def contents_json(contents: TargetContents, zone: tzinfo) -> dict[str, Any]:
    """The target as `status --json` shows it: the newest chain's figures first, then every chain."""
    last = contents.last_chain
    return {
        "read_at": _time(contents.read_at, zone),
        "chain_count": len(contents.chains),
        "last_full": _time(last.full, zone) if last else None,
        "incrementals_since_last_full": len(last.incrementals) if last else 0,
        "last_backup": _time(last.end, zone) if last else None,
        "oldest_restorable": _time(contents.oldest_restorable, zone),
        "orphaned_sets": contents.orphaned_sets,
        "incomplete_sets": contents.incomplete_sets,
        "size_bytes": contents.size_bytes,  # None: a set's size is unknown (see TargetContents)
        "sets_of_unknown_size": contents.unknown_sets,
        "chains": [
            {
                "full": _time(chain.full, zone),
                "incrementals": len(chain.incrementals),
                "end": _time(chain.end, zone),
                "volumes": chain.volumes,
                "primary": chain.primary,
            }
            for chain in contents.chains
        ],
    }


def contents_line(contents: TargetContents, zone: tzinfo = UTC) -> str:
    return contents_text(contents_json(contents, zone))


def contents_text(shape: dict[str, Any]) -> str:
    """`2 chain(s), last full T with 3 incremental(s) since, oldest restorable T0`, from `contents_json`."""
    if not shape["chain_count"]:
        text = "no backup chain"
    else:
        text = (
            f"{shape['chain_count']} chain(s), last full {shape['last_full']} with "
            f"{shape['incrementals_since_last_full']} incremental(s) since, oldest restorable "
            f"{shape['oldest_restorable']}"
        )
        if shape.get("size_bytes") is not None:
            text += f", {format_bytes(shape['size_bytes'])} of volumes"
    kinds = ("orphaned_sets", "incomplete_sets")
    leftovers = [f"{shape[key]} {key.split('_')[0]} set(s)" for key in kinds if shape[key]]
    return text + (f" ({', '.join(leftovers)}: `cleanup` removes them)" if leftovers else "")


def stats_line(stats: BackupStats) -> str:
    """`5 files (106.0 KiB): 2 new, 1 changed, 0 deleted; +98.4 KiB at the target; 0 errors`."""
    change = format_bytes(stats.destination_change_bytes)
    return (
        f"{stats.source_files} files ({format_bytes(stats.source_bytes)}): {stats.new_files} new, "
        f"{stats.changed_files} changed, {stats.deleted_files} deleted; "
        f"{'+' if stats.destination_change_bytes >= 0 else ''}{change} at the target; {stats.errors} errors"
    )
