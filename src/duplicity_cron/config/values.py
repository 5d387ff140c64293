"""Parsers of single values shared by task keys and settings: URL lists, ping URLs, NOTIFY_ON, ports, paths,
the shrink check's share and action.

Each takes the variable's text and returns the value, or raises ValueError with a message that the
caller prefixes with the variable's name.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import SplitResult, urlsplit

NOTIFY_ON_VALUES = ("failure", "always", "never")
LOG_FORMATS = ("text", "json")
# SOURCE's shrink check before the built-in backup (`targets.source_shrink`): what it does, and the
# share of the last backup's entries or bytes SOURCE may lose before it does.
ON_SHRINK_VALUES = ("warn", "fail")
DEFAULT_SHRINK_LIMIT = 50  # percent


def split_urls(value: str) -> tuple[str, ...]:
    """URLs separated by spaces or commas."""
    return tuple(part for part in re.split(r"[\s,]+", value) if part)


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    """`value` as one of `choices`, in any case and with spaces around; ValueError naming them."""
    word = value.strip().lower()
    if word not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return word


def parse_notify_on(value: str) -> str:
    return _one_of(value, NOTIFY_ON_VALUES)


def parse_on_shrink(value: str) -> str:
    return _one_of(value, ON_SHRINK_VALUES)


def parse_share(value: str) -> int:
    """A whole percentage from 1 to 100, the `%` optional: `50%`, `50`."""
    text = value.strip()
    number = text.removesuffix("%").strip()
    if not number.isdigit() or not 1 <= int(number) <= 100:
        raise ValueError(f"{text!r} is not a share from 1% to 100% (a whole number, e.g. 50%)")
    return int(number)


# What http.client refuses in a URL (it raises InvalidURL, and every ping of every run would fail).
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_HOST = re.compile(r"[A-Za-z0-9._-]+")


def parse_ping_url(value: str) -> str:
    """An http(s) URL that urllib can request with `/start` and `/fail` appended, as the pings do.

    No message quotes any part of the URL: it carries the monitor's token.
    """
    url, parts = _split_http_url(value)
    if "@" in parts.netloc:
        raise ValueError("has a user part (user@host), which urllib does not send")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("has a query or fragment (? or #): the pings append /start and /fail to the URL")
    if not parts.path.isascii():
        raise ValueError("has a non-ASCII character in its path; percent-encode it")
    _check_port_and_host(parts)
    return url


def parse_pushgateway_url(value: str) -> str:
    """The http(s) URL of a Prometheus Pushgateway: a host, maybe a port, a user and password (sent as
    basic auth) and a path prefix; no query or fragment. No message quotes the URL: it may carry a password.
    """
    url, parts = _split_http_url(value)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("has a query or fragment (? or #)")
    _check_port_and_host(parts)
    return url


def _split_http_url(value: str) -> tuple[str, SplitResult]:
    """The first checks of an http(s) URL that a monitor is sent to: the URL without surrounding white
    space and trailing slashes, and its parts. No message quotes the URL."""
    url = value.strip().rstrip("/")
    if _URL_FORBIDDEN.search(url):
        raise ValueError("contains a space or a control character; percent-encode it (%20)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - the property raises for a port that is no number or out of 0-65535
    except ValueError:  # that, or a bad IPv6 literal
        raise ValueError("is not a valid URL: check its host and port") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("is not an http:// or https:// URL")
    return url, parts


def _check_port_and_host(parts: SplitResult) -> None:
    """The last checks of an http(s) URL that a monitor is sent to: a port that can be connected to, a
    host that can be looked up."""
    if parts.port == 0:
        raise ValueError("has port 0, which cannot be connected to")
    _check_host_name(parts.hostname or "", bracketed=parts.netloc.rpartition("@")[2].startswith("["))


def _check_host_name(host: str, bracketed: bool) -> None:
    """A host name that the socket library can look up (IDNA-encoded, as it does), or an IPv6 literal."""
    if bracketed and host:
        return
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty label (a..b) or one longer than 63 characters
        encoded = ""
    if not _HOST.fullmatch(encoded):
        raise ValueError("has no valid host name")


def parse_port(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"{value!r} is not a TCP port (1-65535)")
    return int(value)


MAX_RESTORE_JOBS = 64


def parse_restore_jobs(value: str) -> int:
    """CONF_RESTORE_JOBS: a number of connections, 1 to MAX_RESTORE_JOBS, or `auto` (0: the CPUs)."""
    if value.strip().lower() == "auto":
        return 0
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_RESTORE_JOBS:
        raise ValueError(f"{value!r} is not a number of connections (1-{MAX_RESTORE_JOBS}) or auto")
    return int(value)


DOCKER_LABELS_VALUES = ("auto", "on", "off")


def parse_docker_labels(value: str) -> str:
    return _one_of(value, DOCKER_LABELS_VALUES)


def parse_log_format(value: str) -> str:
    if value.strip().lower() not in LOG_FORMATS:
        raise ValueError(f"{value!r} is not a log format; expected text or json")
    return value.strip().lower()


# Linux: NAME_MAX bytes per file name, PATH_MAX bytes per path; the folders' own length leaves 1 KiB
# of PATH_MAX for what goes under them (`<id>/src/...`, `runs/<id>/<record>.json`).
NAME_MAX = 255
MAX_FOLDER_PATH = 3072


def parse_absolute_path(value: str) -> PurePosixPath:
    """An absolute folder path the file system can take, with room left under it."""
    path = PurePosixPath(value.strip())
    if not path.is_absolute():
        raise ValueError(f"{value!r} must be an absolute path")
    if any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in path.parts):
        raise ValueError(f"has a folder name longer than {NAME_MAX} bytes")
    if len(str(path).encode("utf-8", "surrogateescape")) > MAX_FOLDER_PATH:
        raise ValueError(f"is longer than {MAX_FOLDER_PATH:,} bytes")
    return path
