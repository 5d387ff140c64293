"""Parsers of the values the built-in backup hands to duplicity 3.2.1: target URLs, its time formats,
extra options, retention counts.

Pure: each takes the variable's text and returns the value, or raises ValueError with a message that the
caller prefixes with the variable's name. What duplicity itself accepts is the reference (its
`backend.py` URL rules, `dup_time.py` time strings): a value that passes here does not fail there for
its form.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from urllib.parse import unquote, urlsplit

from ..model import split_authority

DEFAULT_FULL_EVERY = "1M"

# Schemes duplicity 3.2.1 registers whose URL names a host (its `uses_netloc` list).
HOST_SCHEMES = frozenset(
    {
        "sftp", "scp", "paramiko+sftp", "paramiko+scp", "pexpect+sftp", "pexpect+scp",
        "ftp", "ftps", "fish", "ftpes", "lftp+ftp", "lftp+ftps", "lftp+fish", "lftp+ftpes", "lftp+sftp",
        "lftp+webdav", "lftp+webdavs", "lftp+http", "lftp+https", "ncftp+ftp",
        "webdav", "webdavs", "http", "https", "imap", "imaps", "rsync",
        "mega", "megav2", "megav3", "gdrive", "gdocs", "pydrive", "pydrive+gdocs", "gdata+gdocs", "hsi",
    }
)  # fmt: skip
# The other registered schemes: what follows `scheme://` is a path, bucket or remote name.
PATH_SCHEMES = frozenset(
    {
        "file", "s3", "boto3+s3", "b2", "azure", "dpbx", "onedrive", "swift", "rclone", "multi", "box",
        "cf+http", "cf+hubic", "jottacloud", "mf", "pca", "slate", "sx", "tahoe", "xorriso", "idrived", "ad",
    }
)  # fmt: skip
# `par2+sftp://...` wraps any other backend.
PREFIXES = ("par2", "gio")
SCHEMES = HOST_SCHEMES | PATH_SCHEMES

_INTERVAL = re.compile(r"(?:[0-9]+[smhDWMY])+")
_INTERVAL_PART = re.compile(r"([0-9]+)([smhDWMY])")
_INTERVAL_HELP = (
    "a number and a unit, repeatable: s, m (minutes), h, D, W, M (months), Y; e.g. 7D, 2W, 1M, 1D12h"
)
# The absolute forms of duplicity's time strings (dup_time.genstrtotime), besides intervals and `now`.
_ABSOLUTE_TIMES = (
    re.compile(r"[0-9]+"),  # seconds since the epoch
    re.compile(r"[0-9]{8}T[0-9]{6}Z"),  # as in its file names: 20261201T112233Z
    re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?"),
    re.compile(r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"),  # 2026-12-01, 2026/12/1
    re.compile(r"[0-9]{1,2}[-/][0-9]{1,2}[-/][0-9]{4}"),  # 12/01/2026: the month first
    re.compile(r"[0-9]{8}Z"),  # 20261201Z
)


def _without_prefix(url: str) -> str:
    """The URL a `par2+` (or `gio+`) prefix wraps."""
    for prefix in PREFIXES:
        if url.lower().startswith(prefix + "+"):
            return url[len(prefix) + 1 :]
    return url


def parse_target_url(value: str) -> str:
    """A duplicity target URL of a scheme 3.2.1 knows, with a host where its backend needs one.

    A password in it is allowed: the built-in commands move it to BACKEND_PASSWORD.
    """
    url = value.strip()
    if "://" not in url:
        raise ValueError(
            f"{url!r} is not a duplicity URL (scheme://...), e.g. file:///backups or sftp://user@host/path"
        )
    if re.search(r"\s", url):
        raise ValueError("contains white space; percent-encode it (%20)")
    inner = _without_prefix(url)
    scheme = inner.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; duplicity 3.2.1 knows {', '.join(sorted(SCHEMES))}")
    rest = inner.split("://", 1)[1]
    if not rest.strip("/"):
        raise ValueError(f"{url!r} names no place after {scheme}://")
    if scheme == "file" and not rest.startswith("/"):
        raise ValueError(f"{url!r}: a file:// target needs an absolute path: file:///path/to/folder")
    if scheme in HOST_SCHEMES:
        _check_host_and_port(inner, scheme)
    return url


def _check_host_and_port(url: str, scheme: str) -> None:
    """A host is there and its port, if any, is a number. The host name's form is not judged here, as
    `values` judges that of the monitors' URLs, which the runner requests itself."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"a {scheme}:// URL needs a host: {scheme}://user@host/path")
    if scheme == "rsync" and "::" in parts.netloc + parts.path:
        return  # rsync://host::module has no port
    try:
        parts.port  # noqa: B018 - the property raises for a port that is not a number
    except ValueError:
        raise ValueError(f"the port of {parts.netloc!r} is not a number") from None


def parse_interval(value: str) -> str:
    """A duplicity interval (`7D`, `2W`, `1M`, `1D12h`), longer than nothing."""
    text = value.strip()
    if not _INTERVAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a duplicity interval: {_INTERVAL_HELP}")
    if all(int(number) == 0 for number, _unit in _INTERVAL_PART.findall(text)):
        raise ValueError(f"{text!r} is an interval of zero")
    return text


def parse_time(value: str) -> str:
    """A duplicity time string (`--time`): `now`, an interval ago, or a date and time it reads."""
    text = value.strip()
    if text == "now" or _INTERVAL.fullmatch(text) or any(p.fullmatch(text) for p in _ABSOLUTE_TIMES):
        return text
    raise ValueError(
        f"{text!r} is not a duplicity time: an interval ago ({_INTERVAL_HELP}), a date "
        "(2026-12-01), a date and time (2026-12-01T02:30:00, with Z or +01:00), or seconds since the epoch"
    )


def parse_options(value: str) -> tuple[str, ...]:
    """Extra duplicity options, as a shell splits them (quotes group words)."""
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise ValueError(f"cannot split it into words as a shell would: {exc}") from None
    return tuple(words)


def parse_keep_full(value: str) -> int:
    """How many full chains to keep: at least one."""
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not a number of full chains to keep (1 or more)")
    return int(text)


def parse_source(value: str) -> str:
    """The folder to back up: an absolute path."""
    text = value.strip()
    if not text.startswith("/"):
        raise ValueError(f"{text!r} must be an absolute path")
    return text


def file_target_folder(url: str) -> str | None:
    """The folder of a file:// TARGET (`par2+file://` too), percent-decoded and normalised as a path
    (`..`, `.`, doubled slashes); None for a target of another kind."""
    scheme, separator, rest = _without_prefix(url.strip()).partition("://")
    if not separator or scheme.lower() != "file":
        return None
    return posixpath.normpath("/" + unquote(rest).lstrip("/"))


def _holds(outer: str, inner: str) -> bool:
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


def nesting_problem(task_id: str, target: str, source: str | None, work_dir: str) -> str | None:
    """A file:// TARGET inside the folder it backs up makes each backup back up the earlier ones again;
    SOURCE inside TARGET puts the data among duplicity's files (and, with the default SOURCE, the run's
    work folder, which each run empties, in the target). Paths compared as written, normalised: links
    are the run's to follow (`runner.source_guard`)."""
    folder = file_target_folder(target)
    if folder is None:
        return None
    prefix = f"TASK_{task_id}_"
    if source is None:
        source = posixpath.normpath(f"{work_dir}/{task_id}/src")
        named = (
            f"the run's $SRC ({source}: CONF_WORK_DIR/<id>/src, the default {prefix}SOURCE, emptied by "
            "every run)"
        )
    else:
        source = posixpath.normpath(source)
        named = f"{prefix}SOURCE ({source})"
    if _holds(source, folder):
        return (
            f"{prefix}TARGET: its folder {folder} is inside {named}: each backup would back up the "
            "earlier ones again; choose a TARGET outside SOURCE"
        )
    if _holds(folder, source):
        return (
            f"{prefix}TARGET: its folder {folder} holds {named}: the data would lie among duplicity's "
            "files; choose a TARGET folder apart from SOURCE"
        )
    return None


def split_url_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password percent-decoded as duplicity reads it, or None).

    The authority is read by `model.split_authority`, as `secrets.url_passwords` reads it.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url, None
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    user, password, host = split_authority(authority)
    if password is None:
        return url, None
    return f"{scheme}://{user + '@' if user else ''}{host}{tail}", unquote(password)


def same_place(url: str) -> str:
    """A target URL as compared with another: without its password and trailing slashes."""
    return split_url_password(url)[0].rstrip("/")


# The built-in commands' GNUPGHOME, `<work>/<id>/gnupg` (a run and a `restore TASK` hold the task's
# lock while they use it). gpg-agent listens on sockets in it, `S.gpg-agent.browser` the longest name,
# and a longer path fails with a misleading pinentry error: measured with GnuPG 2.2.40, a home of 86
# bytes works and one of 87 does not.
GNUPG_FOLDER = "gnupg"
_LONGEST_SOCKET = "S.gpg-agent.browser"
MAX_SOCKET_PATH_BYTES = 106


def gnupg_home_problem(work_dir: str, task_id: str) -> str | None:
    """Why the GNUPGHOME of a task with TARGET would not work under `work_dir`, or None."""
    home = f"{work_dir.rstrip('/')}/{task_id}/{GNUPG_FOLDER}"
    if len(f"{home}/{_LONGEST_SOCKET}".encode()) <= MAX_SOCKET_PATH_BYTES:
        return None
    return (
        f"gpg-agent's sockets in {home} would have paths longer than the {MAX_SOCKET_PATH_BYTES} bytes "
        "gpg can use; use a shorter CONF_WORK_DIR or task id"
    )


def passphrase_problem(
    options: Sequence[str], env: Mapping[str, str], *, public_key: bool = False
) -> str | None:
    """Duplicity encrypts symmetrically with PASSPHRASE; without one it fails asking for it (with a
    traceback, exit 30). Unless the task encrypts to a public key (ENCRYPT_KEY: a backup needs no
    passphrase), or OPTIONS turn encryption off or to a public key."""
    if public_key or env.get("PASSPHRASE", "").strip():
        return None
    if any(word == "--no-encryption" or word.startswith("--encrypt-key") for word in options):
        return None
    return (
        "duplicity needs PASSPHRASE (or PASSPHRASE_FILE) to encrypt the backup, and there is no default; "
        "set one, encrypt to a public key (ENCRYPT_KEY), or add --no-encryption to OPTIONS"
    )
