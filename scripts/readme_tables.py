"""Rewrite the README's variable tables from the tables the parsers use (`config.task_keys.TASK_KEYS`,
`config.settings.SETTINGS`). `tests/unit/config/test_task_keys.py` fails while they differ.

    .venv/bin/python scripts/readme_tables.py
"""

from __future__ import annotations

import re
from pathlib import Path

from duplicity_cron.views.reference import settings_table, task_keys_table

README = Path(__file__).resolve().parents[1] / "README.md"


def replace_table(text: str, header: str, table: str) -> str:
    """Replace the Markdown table that starts with the line `header`."""
    pattern = re.compile(rf"^{re.escape(header)}\n(?:\|.*\n)+", re.MULTILINE)
    if not pattern.search(text):
        raise SystemExit(f"README.md: no table starting with {header!r}")
    return pattern.sub(lambda _: table + "\n", text, count=1)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for table in (task_keys_table(), settings_table()):
        text = replace_table(text, table.splitlines()[0], table)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
