"""Which values are secret, `*_FILE` indirection, and masking of secret values in output.

Secrets are the values of secret-looking variables, the contents of their `*_FILE`s, and the password
of every URL in any variable's value (`sftp://user:password@host`, whatever the variable's name).
Pure: reading a `*_FILE` goes through a function passed in, so the rules are testable without files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from ..model import split_authority
from .task_keys import FILE_KEYS, SECRET_URL_KEYS, TASK_PREFIX
from .values import split_urls

MASK = "***"
# Shorter values are not masked: `***` in place of every `a` or `12` garbles all output, and the
# words left with holes give the value away. Start-up warns instead (`short_secret_warnings`).
MIN_MASKED_LENGTH = 4
# What a secret file may hold: ample for an ASCII-armored GPG private key with subkeys (a few KiB to tens),
# small enough that /dev/zero or a wrong path to a dump cannot fill the memory.
MAX_SECRET_FILE_BYTES = 1024 * 1024
MAX_SECRET_FILE_TEXT = "1 MiB"
_SECRET_WORDS = ("PASSPHRASE", "PASSWORD", "SECRET", "TOKEN")
# The secret URL keys (notification and ping URLs: tokens in their paths and user parts) are secret
# whatever their prefix: CONF_NOTIFY_URLS too.
_SECRET_URL_SUFFIXES = SECRET_URL_KEYS
# The task keys that may be read from a file: `TASK_<id>_PUBLIC_KEY_FILE` gives `TASK_<id>_PUBLIC_KEY`.
_TASK_FILE_KEYS = tuple("_" + key for key in FILE_KEYS)
_FILE_SUFFIX = "_FILE"
# Where a URL starts in a longer text: a scheme (RFC 3986 §3.1) not preceded by a scheme character, then
# "//". Its authority, read ahead without consuming it (`sftp://h,s3://k:p@b` holds two URLs), ends at
# the path, query or fragment, or at a character no URL holds (white space, `"`, `<`, `>`, `` ` ``).
_URL = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://(?=([^/?#\s\"<>`]*))")


class SecretFileError(Exception):
    """A secret file that is refused before (or instead of) being read whole; the message says why."""


def looks_secret(name: str) -> bool:
    """True for names whose values are never printed: *PASSPHRASE*, *PASSWORD*, *SECRET*, *TOKEN*, *_KEY,
    and the notification and ping URLs (*NOTIFY_URLS, *PING_URL).

    A `*_FILE` variable holds the path of a secret, not the secret: the path stays readable in errors.
    """
    upper = name.upper()
    if upper.endswith(_FILE_SUFFIX):
        return False
    return (
        any(word in upper for word in _SECRET_WORDS)
        or upper.endswith("_KEY")
        or upper.endswith(_SECRET_URL_SUFFIXES)
    )


def is_maskable(value: str) -> bool:
    """Whether `value` is long enough to be masked: 4 characters or more, white space at its ends aside."""
    return len(value.strip()) >= MIN_MASKED_LENGTH


def url_passwords(text: str) -> list[str]:
    """The password of every `scheme://user:password@host` URL in `text`, as written and percent-decoded.

    The authority is read by `model.split_authority`. Text that is not a URL (`a:b@c`,
    `user@host:path`) has no password; neither has `https://host/path?q=a:b@c`.
    """
    found = []
    for url in _URL.finditer(text):
        _user, password, _host = split_authority(url.group(1))
        if password is not None:
            found.append(password)
            if unquote(password) != password:
                found.append(unquote(password))  # what a tool that decodes the URL prints
    return found


@dataclass
class ResolvedSecrets:
    """Outcome of resolving `*_FILE` variables: values to add to the environment, and problems."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # NAME -> the NAME_FILE variable it came from
    unread: set[str] = field(default_factory=set)  # the NAMEs whose NAME_FILE is an error

    def fail(self, name: str, error: str) -> None:
        """NAME_FILE cannot be used: one error, and NAME is not to be reported missing as well."""
        self.unread.add(name)
        self.errors.append(error)


def resolve_secret_files(env: Mapping[str, str], read_file: Callable[[str], str]) -> ResolvedSecrets:
    """Give `NAME` the content of the file named by `NAME_FILE` for secret-looking NAMEs.

    Other `*_FILE` variables (SSL_CERT_FILE, TF_CLI_CONFIG_FILE...) belong to other programs and are
    left alone: real environments carry them, some pointing at missing or very large files. Of the task
    variables, only the keys that take a file (`task_keys.FILE_KEYS`) are read, secret or not.
    `read_file` returns the file's text or raises OSError, UnicodeDecodeError or SecretFileError.
    """
    resolved = ResolvedSecrets()
    for var in sorted(env):
        if not var.upper().endswith(_FILE_SUFFIX):
            continue
        name = var[: -len(_FILE_SUFFIX)]
        task_key = var.upper().startswith(TASK_PREFIX)
        if task_key and not name.upper().endswith(_TASK_FILE_KEYS):
            continue
        # a task key that takes a file is read whether it is secret or not (VERIFY_SQL is not: it is
        # read the same way, and not masked)
        if not name or not (task_key or looks_secret(name)):
            continue
        if env.get(name):
            resolved.warnings.append(f"{var}: ignored because {name} is set too")
            continue
        path = env[var]
        if not path:
            resolved.fail(name, f"{var}: is empty; expected the path of a file holding {name}")
            continue
        try:
            content = _strip_one_newline(read_file(path))
        except SecretFileError as exc:
            resolved.fail(name, f"{var}: cannot use {path}: {exc}")
            continue
        except UnicodeDecodeError:
            resolved.fail(
                name,
                f"{var}: cannot use {path}: it is not UTF-8 text (a binary file? a key must be "
                "ASCII-armored: gpg --armor)",
            )
            continue
        except OSError as exc:
            resolved.fail(name, f"{var}: cannot read {path}: {exc.strerror or exc}")
            continue
        problem = _content_problem(content)
        if problem:
            resolved.fail(name, f"{var}: cannot use {path}: {problem}")
            continue
        resolved.values[name] = content
        resolved.sources[name] = var
    return resolved


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _content_problem(content: str) -> str | None:
    """Why a secret file's content cannot be the secret: blank (a file not filled in), or holding NUL,
    which no environment variable can carry (the steps could not even be started)."""
    if not content.strip():
        return "it is empty (or only white space); it must hold the secret"
    if "\0" in content:
        return "it holds a NUL byte, which an environment variable cannot"
    return None


@dataclass(frozen=True)
class Secret:
    """A value to mask, and the variable to name when it is too short to be masked."""

    variable: str
    value: str
    kind: str  # "value" of the variable, content of its "file", password of a "url" in it


def find_secrets(env: Mapping[str, str], sources: Mapping[str, str] | None = None) -> list[Secret]:
    """Every value of `env` to mask: the values of secret-looking variables (each URL of a URL list on
    its own too) and the password of every URL in any variable's value.

    `sources` maps the names whose value was read from a file to their `*_FILE` variable.
    """
    sources = sources or {}
    found: list[Secret] = []
    for name, value in sorted(env.items()):
        variable = sources.get(name, name)
        if value and looks_secret(name):
            found.append(Secret(variable, value, "file" if name in sources else "value"))
            if name.upper().endswith(_SECRET_URL_SUFFIXES):
                # Each URL of a list on its own; a ping URL also without the trailing slash we strip.
                urls = (url.rstrip("/") for url in split_urls(value))
                found.extend(Secret(variable, url, "value") for url in urls if url)
        found.extend(Secret(variable, password, "url") for password in url_passwords(value))
    return found


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Every value to mask: those `find_secrets` finds in `env`, plus `extra` (values read from files)."""
    return [secret.value for secret in find_secrets(env)] + [value for value in extra if value]


_TOO_SHORT = {
    "value": "its value is shorter",
    "file": "the secret in its file is shorter",
    "url": "the password of a URL in its value is shorter",
}


def short_secret_warnings(secrets: Iterable[Secret]) -> list[str]:
    """One warning per variable whose secret is too short to be masked; it never shows the value."""
    warnings = {
        f"{secret.variable}: {_TOO_SHORT[secret.kind]} than {MIN_MASKED_LENGTH} characters, "
        "so it is not masked in the output": None
        for secret in secrets
        if not is_maskable(secret.value)
    }
    return list(warnings)


class Masker:
    """Replaces every occurrence of any secret value in a line with `***`.

    A multi-line secret (a key file) is masked line by line too, since output is masked a line at a time.
    Where secrets overlap or nest, the union of their occurrences is masked, so no part of either shows.
    Values (and lines of a value) shorter than `MIN_MASKED_LENGTH` are not masked.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        tokens: set[str] = set()
        for secret in secrets:
            tokens.add(secret)
            tokens.update(part.strip() for part in secret.splitlines())
        self._tokens = sorted(filter(is_maskable, tokens), key=len, reverse=True)
        # One regex pass finds whether any secret occurs at all: the common case is a clean line.
        self._any = re.compile("|".join(map(re.escape, self._tokens))) if self._tokens else None

    def cut(self, text: str) -> str:
        """Mask `text`, which was cut: also hide an end of it that is the start of a secret."""
        masked = self(text)
        for token in self._tokens:
            for length in range(min(len(token) - 1, len(masked)), 0, -1):
                if masked.endswith(token[:length]):
                    return masked[:-length] + MASK
        return masked

    def __call__(self, text: str) -> str:
        if self._any is None or self._any.search(text) is None:
            return text
        spans: list[tuple[int, int]] = []
        for token in self._tokens:
            start = text.find(token)
            while start != -1:
                spans.append((start, start + len(token)))
                start = text.find(token, start + 1)
        spans.sort()
        pieces, position, end = [], 0, -1
        for begin, stop in spans:
            if begin > end:  # a new run of masked characters
                if end >= 0:
                    pieces.append(MASK)
                pieces.append(text[position:begin])
                end = stop
            else:
                end = max(end, stop)
            position = end
        pieces.append(MASK)
        pieces.append(text[position:])
        return "".join(pieces)
