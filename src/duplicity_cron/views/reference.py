"""The README's variable tables, rendered from the tables the parsers use (`tests` check the README)."""

from __future__ import annotations

from ..config.settings import SETTINGS
from ..config.task_keys import TASK_KEYS


def task_keys_table() -> str:
    lines = ["| variable | meaning | example |", "|---|---|---|"]
    lines += [f"| `TASK_<id>_{key.name}` | {key.doc} | {key.example} |" for key in TASK_KEYS]
    return "\n".join(lines)


def settings_table() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{setting.variable}` | {setting.default} | {setting.doc} |" for setting in SETTINGS]
    return "\n".join(lines)
