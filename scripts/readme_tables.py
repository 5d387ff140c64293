"""Rewrite the docs' reference tables (task keys, settings) from the tables the parsers use
(`config.task_keys.TASK_KEYS`, `config.settings.SETTINGS`), into the pages of
`views.reference.TABLE_PAGES`. `tests/unit/config/test_task_keys.py` fails while they differ.

    .venv/bin/python scripts/readme_tables.py
"""

from __future__ import annotations

import re
from pathlib import Path

from duplicity_cron.views.reference import TABLE_PAGES

ROOT = Path(__file__).resolve().parents[1]


def replace_table(text: str, header: str, table: str, page: str) -> str:
    """Replace the Markdown table that starts with the line `header`."""
    pattern = re.compile(rf"^{re.escape(header)}\n(?:\|.*\n)+", re.MULTILINE)
    if not pattern.search(text):
        raise SystemExit(f"{page}: no table starting with {header!r}")
    return pattern.sub(lambda _: table + "\n", text, count=1)


def main() -> None:
    for page, render in TABLE_PAGES.items():
        path = ROOT / page
        table = render()
        text = replace_table(path.read_text(encoding="utf-8"), table.splitlines()[0], table, page)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
