"""The environment the runner and its steps see: the process environment, env files layered over it,
and secrets read from `*_FILE` variables; and the masker for every secret in it.

Pure: env files come as text and secret files through a function passed in; `cli.loading` reads them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dotenv import dotenv_values

from .secrets import Masker, find_secrets, resolve_secret_files, short_secret_warnings


@dataclass(frozen=True)
class Environment:
    values: dict[str, str]
    mask: Masker
    problems: tuple[str, ...]  # unusable secret files: configuration errors to report with the others
    warnings: tuple[str, ...]  # secret files shadowed by their variable, secrets too short to mask


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

    `read_secret(path)` returns a secret file's text or raises (see `resolve_secret_files`); such
    problems are returned. The masker hides every secret `find_secrets` finds in the result, the
    files' contents and the URL passwords of every variable included.
    """
    values = dict(base)
    for variables in env_files:
        values.update(variables)
    resolved = resolve_secret_files(values, read_secret)
    values.update(resolved.values)
    secrets = find_secrets(values, resolved.sources)
    return Environment(
        values=values,
        mask=Masker(secret.value for secret in secrets),
        problems=tuple(resolved.errors),
        warnings=(*resolved.warnings, *short_secret_warnings(secrets)),
    )
