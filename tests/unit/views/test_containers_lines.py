"""The labelled containers under the `list` and `status` tables."""

from __future__ import annotations

from duplicity_cron.views.listing import containers_lines


def test_each_task_with_what_it_touches_or_none() -> None:
    entries = [
        {"task": "app", "containers": ["stops web", "exec-before in db"]},
        {"task": "logs", "containers": []},
    ]
    expected = "\nContainers (labels):\n  app: stops web; exec-before in db\n  logs: none"
    assert containers_lines(entries) == expected


def test_nothing_when_labels_are_not_read() -> None:
    assert containers_lines([{"task": "app"}]) == ""


def test_control_characters_are_escaped() -> None:
    assert "\x1b" not in containers_lines([{"task": "app", "containers": ["error: \x1b[2J"]}])
