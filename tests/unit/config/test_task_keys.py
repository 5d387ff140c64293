"""The task-key table: every key has a doc, an example and a `Task` field or a step, the parser takes
exactly these keys, and the docs' reference pages show the tables rendered from the rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from pathlib import Path

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.config.secrets import looks_secret
from duplicity_cron.config.task_keys import KEYS, TASK_KEYS
from duplicity_cron.model import STEPS, Task
from duplicity_cron.views.reference import TABLE_PAGES, labels_table, settings_table, task_keys_table

ROOT = Path(__file__).resolve().parents[3]
TASK_FIELDS = {field.name for field in dataclasses.fields(Task)}


@pytest.mark.parametrize("key", TASK_KEYS, ids=lambda key: key.name)
def test_each_key_is_documented_and_lands_somewhere(key) -> None:
    assert key.doc and key.example
    if key.is_step:
        assert key.field is None and key.parse is None
    elif key.name == "TZ":
        assert key.field is None and key.parse is not None  # the zone of the schedule
    else:
        assert key.field in TASK_FIELDS and key.parse is not None


def test_every_task_field_is_set_by_a_key() -> None:
    set_by_keys = {key.field for key in TASK_KEYS if key.field} | {"id", "steps"}
    assert set_by_keys == TASK_FIELDS


def test_steps_are_keys_in_run_order() -> None:
    assert [key.name.lower() for key in TASK_KEYS if key.is_step] == list(STEPS)
    assert KEYS[: len(STEPS)] == tuple(step.upper() for step in STEPS)


@pytest.mark.parametrize("key", TASK_KEYS, ids=lambda key: key.name)
def test_secret_keys_are_masked_and_others_not(key) -> None:
    assert looks_secret(f"TASK_db_{key.name}") is key.secret


def test_a_value_of_every_key_parses() -> None:
    examples = {
        "CRONTAB": "0 3 * * *",
        "TZ": "Europe/Paris",
        "TIMEOUT": "1h",
        "MAX_AGE": "26h",
        "NOTIFY_URLS": "json://127.0.0.1:9/x",
        "NOTIFY_ON": "always",
        "PING_URL": "https://hc.example/p",
    }
    env = {f"TASK_db_{name}": value for name, value in examples.items()}
    env.update({f"TASK_db_{step.upper()}": "true" for step in STEPS})
    task = parse_config(env).tasks["db"]
    assert set(task.steps) == set(STEPS)
    assert task.schedule is not None and task.schedule.describe() == "0 3 * * *"
    assert (task.timeout, task.max_age, task.notify_on) == (3600.0, 26 * 3600.0, "always")
    assert task.schedule.timezone is not UTC


def test_both_tables_have_a_page() -> None:
    assert set(TABLE_PAGES.values()) == {task_keys_table, settings_table, labels_table}


@pytest.mark.parametrize("page", sorted(TABLE_PAGES))
def test_the_reference_page_shows_the_table_rendered_from_the_rows(page) -> None:
    table = TABLE_PAGES[page]()
    assert table in (ROOT / page).read_text(encoding="utf-8"), (
        f"{page} does not contain the table; run `python scripts/readme_tables.py`:\n{table}"
    )
