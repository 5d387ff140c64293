"""Which variables are secret, `*_FILE` indirection, and masking of secret values in output.

Pure: reading a `*_FILE` goes through a function passed in, so the rules are testable without files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .task_keys import SECRET_KEYS, TASK_PREFIX
from .values import split_urls

MASK = "***"
_SECRET_WORDS = ("PASSPHRASE", "PASSWORD", "SECRET", "TOKEN")
# The secret task keys (notification and ping URLs: tokens in their paths and user parts) are secret
# whatever their prefix: CONF_NOTIFY_URLS too.
_SECRET_URL_SUFFIXES = SECRET_KEYS
_FILE_SUFFIX = "_FILE"


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


@dataclass
class ResolvedSecrets:
    """Outcome of resolving `*_FILE` variables: values to add to the environment, and problems."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def resolve_secret_files(env: Mapping[str, str], read_file: Callable[[str], str]) -> ResolvedSecrets:
    """Give `NAME` the content of the file named by `NAME_FILE` for secret-looking NAMEs.

    Other `*_FILE` variables (SSL_CERT_FILE, TF_CLI_CONFIG_FILE...) belong to other programs and are
    left alone: real environments carry them, some pointing at missing or very large files.
    `read_file` returns the file's text or raises OSError.
    """
    resolved = ResolvedSecrets()
    for var in sorted(env):
        if not var.upper().endswith(_FILE_SUFFIX) or var.upper().startswith(TASK_PREFIX):
            continue
        name = var[: -len(_FILE_SUFFIX)]
        if not name or not looks_secret(name):
            continue
        if env.get(name):
            resolved.warnings.append(f"{var}: ignored because {name} is set too")
            continue
        path = env[var]
        if not path:
            resolved.errors.append(f"{var}: is empty; expected the path of a file holding {name}")
            continue
        try:
            content = read_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            resolved.errors.append(f"{var}: cannot read {path}: {reason}")
            continue
        resolved.values[name] = _strip_one_newline(content)
    return resolved


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Every value to mask: secret-looking variables of `env` plus `extra` (values read from files)."""
    values = []
    for name, value in env.items():
        if value and looks_secret(name):
            values.append(value)
            if name.upper().endswith(_SECRET_URL_SUFFIXES):
                # Each URL of a list on its own; a ping URL also without the trailing slash we strip.
                values.extend(url.rstrip("/") for url in split_urls(value))
    values.extend(value for value in extra if value)
    return values


class Masker:
    """Replaces every occurrence of any secret value in a line with `***`.

    A multi-line secret (a key file) is masked line by line too, since output is masked a line at a time.
    Where secrets overlap or nest, the union of their occurrences is masked, so no part of either shows.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        tokens: set[str] = set()
        for secret in secrets:
            tokens.add(secret)
            tokens.update(part.strip() for part in secret.splitlines())
        tokens.discard("")
        self._tokens = sorted(tokens, key=len, reverse=True)
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
