"""The edge where configuration meets files: env files and secret files are read here, then judged by
the pure `config` package; Apprise judges the notification URLs. Every problem is told at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..config import Config, ConfigError, parse_config
from ..config.environment import Environment, layer_environment, parse_env_file
from ..config.tasks import task_variables
from ..config.values import split_urls
from ..monitoring import notifications


def read_env_file(path: str) -> dict[str, str]:
    """Variables of a docker-style env file; ConfigError when it cannot be read."""
    if not Path(path).is_file():
        raise ConfigError([f"--env-file {path}: no such file"])
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"--env-file {path}: cannot read it: {exc}"]) from exc
    return parse_env_file(text)


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def build_environment(base: Mapping[str, str], env_files: Sequence[str] = ()) -> Environment:
    """Layer `env_files` (later ones win) over `base` and resolve secret `*_FILE` variables.

    Raises ConfigError for an unreadable env file; unreadable secret files are returned as problems.
    """
    return layer_environment(base, [read_env_file(path) for path in env_files], _read_text)


def load(env_files: Sequence[str]) -> tuple[Environment, Config]:
    """Environment and configuration, or ConfigError with every problem found."""
    environment = build_environment(os.environ, env_files)
    problems = list(environment.problems)
    config: Config | None = None
    try:
        config = parse_config(environment.values)
    except ConfigError as exc:
        problems.extend(exc.problems)
    # Apprise judges the notification URLs whatever else is wrong: every problem is told at once.
    url_lists = (
        [("CONF_NOTIFY_URLS", environment.values["CONF_NOTIFY_URLS"])]
        if "CONF_NOTIFY_URLS" in environment.values
        else []
    )
    for name, value in url_lists + task_variables(environment.values, "NOTIFY_URLS"):
        problems += notifications.url_problems(name, split_urls(value))
    if problems or config is None:
        raise ConfigError([environment.mask(problem) for problem in problems])
    return environment, config
