"""Parsing of human durations (`45`, `90s`, `30m`, `2h`, `8d`, `1h30m`) used by TIMEOUT and grace periods."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class DurationError(ValueError):
    """A value that is not a positive duration."""


def parse_duration(text: str) -> float:
    """Return the number of seconds `text` stands for; a bare number is seconds.

    Units can be combined, largest first or not (`1h30m`). Zero and negative values are rejected:
    every duration we accept bounds something that must be allowed to happen.
    """
    value = text.strip().lower()
    if not value:
        raise DurationError("is empty; expected a duration such as 90s, 30m, 2h or 1d")
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    else:
        pos = 0
        seconds = 0.0
        for match in _PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(value) or pos == 0:
            raise DurationError(
                f"{text!r} is not a duration; expected a number of seconds or units s, m, h, d "
                "(for example 45, 90s, 30m, 2h, 1h30m)"
            )
    if seconds <= 0:
        raise DurationError(f"{text!r} must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form of a duration, for log lines and listings."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
