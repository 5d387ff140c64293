"""Whether the target holds a backup at a restore's `--time`: duplicity 3.2.1 given a time before its
first backup silently restores the oldest one (measured: exit 0), so the runner compares first.

Pure: `time_of` reads a time string as duplicity's `dup_time.genstrtotime` does (an interval ago with
M = 30 days and Y = 365 days, seconds since the epoch, its file names' form, ISO dates and times; a
date or time without a zone is local time); the runner passes what the target holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..model import TargetContents

_UNITS = {"s": 1, "m": 60, "h": 3600, "D": 86400, "W": 7 * 86400, "M": 30 * 86400, "Y": 365 * 86400}
_INTERVAL = re.compile(r"(?:[0-9]+[smhDWMY])+")
_FORMATS = (
    ("%Y%m%dT%H%M%SZ", True),
    ("%Y-%m-%dT%H:%M:%SZ", True),
    ("%Y-%m-%dT%H:%M:%S%z", True),
    ("%Y-%m-%dT%H:%M:%S", False),
    ("%Y%m%dZ", True),
    ("%Y-%m-%d", False),
    ("%Y/%m/%d", False),
    ("%m-%d-%Y", False),
    ("%m/%d/%Y", False),
)


def time_of(text: str, now: datetime) -> datetime | None:
    """The moment `text` names (aware), or None for a form this does not read (then nothing is
    compared: duplicity judges)."""
    text = text.strip()
    if text == "now":
        return now
    if _INTERVAL.fullmatch(text):
        seconds = sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"([0-9]+)([smhDWMY])", text))
        return now - timedelta(seconds=seconds)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    for form, zoned in _FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if zoned and parsed.tzinfo is None else parsed.astimezone()
    return None


def time_problem(text: str, now: datetime, contents: TargetContents) -> str | None:
    """Why a restore at `text` is refused (the target holds no backup, or none that old); None: go on."""
    oldest = contents.oldest_restorable
    if oldest is None:
        return "the target holds no backup: check TARGET, or run a backup first"
    when = time_of(text, now)
    if when is not None and when < oldest:
        return (
            f"--time {text} is before the first backup the target holds "
            f"({oldest.isoformat(timespec='seconds')}): give a later time"
        )
    return None
