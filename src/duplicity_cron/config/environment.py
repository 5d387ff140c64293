"""The environment the runner and its steps see: the process environment, env files layered over it,
and secrets read from `*_FILE` variables; and the masker for every secret in it.

Pure: env files come as text and secret files through a function passed in; `cli.loading` reads them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dotenv import dotenv_values

from .secrets import Masker, resolve_secret_files, secret_values


@dataclass(frozen=True)
class Environment:
    values: dict[str, str]
    mask: Masker
    problems: tuple[str, ...]  # unreadable secret files: configuration errors to report with the others
    warnings: tuple[str, ...]


def parse_env_file(text: str) -> dict[str, str]:
    """Variables of a docker-style env file (`NAME=value` lines, `#` comments), via python-dotenv.

    A bare `NAME` line takes nothing here: in docker it means "pass NAME from the host", which the
    process environment already does.
    """
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {name: value for name, value in values.items() if value is not None}


def layer_environment(
    base: Mapping[str, str], env_files: Sequence[Mapping[str, str]], read_secret: Callable[[str], str]
) -> Environment:
    """Layer `env_files` (later ones win) over `base` and resolve secret `*_FILE` variables.

    `read_secret(path)` returns a secret file's text or raises OSError; such problems are returned.
    """
    values = dict(base)
    for variables in env_files:
        values.update(variables)
    resolved = resolve_secret_files(values, read_secret)
    values.update(resolved.values)
    mask = Masker(secret_values(values, resolved.values.values()))
    return Environment(
        values=values, mask=mask, problems=tuple(resolved.errors), warnings=tuple(resolved.warnings)
    )
