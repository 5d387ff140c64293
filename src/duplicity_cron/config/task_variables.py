"""The names of the `TASK_<id>_<KEY>` variables: which task and key a variable names, and the
variables of one key across tasks. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from .task_keys import FILE_KEYS, FILE_SUFFIX, KEYS_BY_LENGTH, TASK_PREFIX

# Exported to the steps by the runner itself; a nested `duplicity-cron` inside a step must not choke on it.
RESERVED_VARIABLES = frozenset({"TASK_ID"})


def split_task_variable(name: str) -> tuple[str, str] | None:
    """Split `TASK_<id>_<KEY>` into (id, KEY) with KEY the longest known suffix, case-insensitively.

    Returns None when no known key ends the name (the caller reports it).
    """
    rest = name[len(TASK_PREFIX) :]
    upper = rest.upper()
    for key in KEYS_BY_LENGTH:
        if upper.endswith("_" + key) and len(rest) > len(key) + 1:
            return rest[: -len(key) - 1], key
    return None


def file_variable(name: str) -> tuple[str, str] | None:
    """(id, KEY) of `TASK_<id>_<KEY>_FILE` for a KEY that takes a file: the environment layer has read
    the file into `TASK_<id>_<KEY>` (`secrets.resolve_secret_files`)."""
    if not name.upper().endswith(FILE_SUFFIX):
        return None
    split = split_task_variable(name[: -len(FILE_SUFFIX)])
    return split if split is not None and split[1] in FILE_KEYS else None


def task_variables(env: Mapping[str, str], key: str) -> list[tuple[str, str]]:
    """(variable, value) of every `TASK_<id>_<key>` in `env`, whatever else is wrong with the tasks."""
    found = []
    for name in sorted(env):
        if name.startswith(TASK_PREFIX) and name not in RESERVED_VARIABLES:
            split = split_task_variable(name)
            if split is not None and split[1] == key:
                found.append((name, env[name]))
    return found
