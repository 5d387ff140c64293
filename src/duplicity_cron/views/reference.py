"""The docs' reference tables, rendered from the tables the parsers use (`scripts/readme_tables.py` writes
them into the pages of `TABLE_PAGES`; a test fails while a page differs)."""

from __future__ import annotations

from collections.abc import Callable

from ..config.container_labels import LABELS
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


def labels_table() -> str:
    lines = ["| label on the application's container | what a run of the task does |", "|---|---|"]
    lines += [f"| `{label}` | {doc} |" for label, doc in LABELS]
    return "\n".join(lines)


# The page (relative to the repository) that shows each table: the reference, where users look it up.
TABLE_PAGES: dict[str, Callable[[], str]] = {
    "docs/reference/task-keys.md": task_keys_table,
    "docs/reference/settings.md": settings_table,
    "docs/reference/labels.md": labels_table,
    "docs/how-to/containers.md": labels_table,
}
