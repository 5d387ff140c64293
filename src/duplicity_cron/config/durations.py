"""Parsing of human durations (`45`, `90s`, `30m`, `2h`, `8d`, `1h30m`) used by TIMEOUT and grace periods.

Every duration has an upper bound, so that a value accepted at start-up never overflows a timer later.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DAY = 86400
# MAX_AGE: 10 years, five times the default of a yearly task, far inside what dates and clocks take.
MAX_DURATION = 3650 * DAY
# TIMEOUT and CONF_STOP_GRACE: the runner waits for them in epoll, whose timeout is an int of
# milliseconds (at most 2**31 - 1 ms, 24.8 days); longer raises OverflowError in the middle of a run.
MAX_WAIT = 24 * DAY
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class DurationError(ValueError):
    """A value that is not a positive duration."""


def parse_duration(text: str, maximum: float = MAX_DURATION) -> float:
    """Return the number of seconds `text` stands for; a bare number is seconds.

    Units can be combined, largest first or not (`1h30m`). Zero and negative values are rejected:
    every duration we accept bounds something that must be allowed to happen; so are values above
    `maximum` (whole days), which the code could not use.
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
    if seconds > maximum:
        raise DurationError(f"{text!r} is too long: at most {maximum / DAY:g}d")
    return seconds


def parse_wait(text: str) -> float:
    """A duration the runner waits for (TIMEOUT, CONF_STOP_GRACE): at most MAX_WAIT."""
    return parse_duration(text, MAX_WAIT)


def parse_interval_or_off(text: str) -> float:
    """An interval such as CONF_PROGRESS_INTERVAL: a duration, or `0` for off."""
    if re.fullmatch(r"0+(?:\.0+)?[a-z]?", text.strip().lower()):
        return 0.0
    return parse_wait(text)


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


def format_precise(seconds: float) -> str:
    """A duration that may be under a second (a recovery time, its limit): three significant digits
    below a minute (`0.004s`, `2.35s`), else `format_duration`."""
    return f"{seconds:.3g}s" if seconds < 60 else format_duration(seconds)
