"""Parsers of single values shared by task keys and settings: URL lists, ping URLs, NOTIFY_ON, ports, paths.

Each takes the variable's text and returns the value, or raises ValueError with a message that the
caller prefixes with the variable's name.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

NOTIFY_ON_VALUES = ("failure", "always", "never")
LOG_FORMATS = ("text", "json")


def split_urls(value: str) -> tuple[str, ...]:
    """URLs separated by spaces or commas."""
    return tuple(part for part in re.split(r"[\s,]+", value) if part)


def parse_notify_on(value: str) -> str:
    key = value.strip().lower()
    if key not in NOTIFY_ON_VALUES:
        raise ValueError(f"{value!r} is not one of {', '.join(NOTIFY_ON_VALUES)}")
    return key


def parse_ping_url(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("is not an http:// or https:// URL")
    return url


def parse_port(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"{value!r} is not a TCP port (1-65535)")
    return int(value)


def parse_log_format(value: str) -> str:
    if value.strip().lower() not in LOG_FORMATS:
        raise ValueError(f"{value!r} is not a log format; expected text or json")
    return value.strip().lower()


def parse_absolute_path(value: str) -> PurePosixPath:
    path = PurePosixPath(value.strip())
    if not path.is_absolute():
        raise ValueError(f"{value!r} must be an absolute path")
    return path
