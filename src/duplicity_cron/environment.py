"""The environment the runner and its steps see: the process environment, env files layered over it,
and secrets read from `*_FILE` variables. Also builds the masker for every secret in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from .config import ConfigError
from .secrets import Masker, resolve_secret_files, secret_values


@dataclass(frozen=True)
class Environment:
    values: dict[str, str]
    mask: Masker
    problems: tuple[str, ...]  # unreadable secret files: configuration errors to report with the others
    warnings: tuple[str, ...]


def read_env_file(path: str) -> dict[str, str]:
    """Variables of a docker-style env file (`NAME=value` lines, `#` comments), via python-dotenv.

    A bare `NAME` line takes nothing here: in docker it means "pass NAME from the host", which the
    process environment already does.
    """
    if not Path(path).is_file():
        raise ConfigError([f"--env-file {path}: no such file"])
    try:
        values = dotenv_values(path, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"--env-file {path}: cannot read it: {exc}"]) from exc
    return {name: value for name, value in values.items() if value is not None}


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def build_environment(base: Mapping[str, str], env_files: Sequence[str] = ()) -> Environment:
    """Layer `env_files` (later ones win) over `base` and resolve secret `*_FILE` variables.

    Raises ConfigError for an unreadable env file; unreadable secret files are returned as problems.
    """
    values = dict(base)
    for path in env_files:
        values.update(read_env_file(path))
    resolved = resolve_secret_files(values, _read_text)
    values.update(resolved.values)
    mask = Masker(secret_values(values, resolved.values.values()))
    return Environment(
        values=values, mask=mask, problems=tuple(resolved.errors), warnings=tuple(resolved.warnings)
    )
