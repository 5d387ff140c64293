"""Notification and ping URLs carry tokens: they are masked in every log line like secrets, each URL of a
list on its own."""

from __future__ import annotations

import io
import json
from datetime import UTC

import pytest

from duplicity_cron.cli.loading import build_environment
from duplicity_cron.config.secrets import MASK, Masker, looks_secret, secret_values
from duplicity_cron.log import Log

NTFY = "ntfys://tk_ntfyTOKEN9@ntfy.example.com/backups"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
WEBHOOK = "json://user:webhookPASS7@hooks.example.com:8443/in/abcDEF123"
PING = "https://hc-ping.com/0f6c1c2e-5b1d-4d7e-9a3c-7e6f00d1c0de"
TOKENS = ("tk_ntfyTOKEN9", "TIiajkdnlazkcOXrIdevi7FQ", "webhookPASS7", "abcDEF123", "0f6c1c2e-5b1d-4d7e")


def masker(env: dict[str, str]) -> Masker:
    return Masker(secret_values(env))


def assert_no_token(text: str) -> None:
    for token in TOKENS:
        assert token not in text, text


# --- which names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "CONF_NOTIFY_URLS",
        "TASK_db_NOTIFY_URLS",
        "TASK_my_db_notify_urls",
        "TASK_db_PING_URL",
        "TASK_db_ping_url",
    ],
)
def test_notification_and_ping_url_variables_are_secret(name: str) -> None:
    assert looks_secret(name)


# --- whole values and each URL of a list --------------------------------------------------------


@pytest.mark.parametrize("name", ["CONF_NOTIFY_URLS", "TASK_db_NOTIFY_URLS"])
def test_a_single_notify_url_is_masked(name: str) -> None:
    mask = masker({name: WEBHOOK})
    line = mask(f"notification to {WEBHOOK} failed: timeout")
    assert WEBHOOK not in line
    assert MASK in line
    assert_no_token(line)
    assert line.startswith("notification to ")
    assert line.endswith(" failed: timeout")


@pytest.mark.parametrize("separator", [" ", ",", ", ", "  \t", " , "])
@pytest.mark.parametrize("name", ["CONF_NOTIFY_URLS", "TASK_db_NOTIFY_URLS"])
def test_each_url_of_a_list_is_masked_on_its_own(name: str, separator: str) -> None:
    value = separator.join([NTFY, SLACK, WEBHOOK])
    mask = masker({name: value})
    for url in (NTFY, SLACK, WEBHOOK):
        line = mask(f"sending to {url} now")
        assert url not in line, (url, line)
        assert_no_token(line)
        assert line == f"sending to {MASK} now"
    whole = mask(f"{name}={value}")
    assert_no_token(whole)


def test_urls_of_global_and_task_lists_are_all_masked() -> None:
    mask = masker({"CONF_NOTIFY_URLS": f"{NTFY},{SLACK}", "TASK_db_NOTIFY_URLS": WEBHOOK})
    line = mask(f"a={SLACK} b={WEBHOOK} c={NTFY}")
    assert_no_token(line)
    assert line == f"a={MASK} b={MASK} c={MASK}"


def test_the_ping_url_is_masked_with_its_suffixes() -> None:
    mask = masker({"TASK_db_PING_URL": PING})
    for line in (
        f"ping GET {PING}/start failed: connection refused",
        f"ping GET {PING} timed out after 5s",
        f"ping POST {PING}/fail: HTTP 500",
    ):
        masked = mask(line)
        assert PING not in masked
        assert_no_token(masked)
        assert masked.startswith("ping ")


def test_a_ping_url_given_with_a_trailing_slash_is_masked_without_it_too() -> None:
    mask = masker({"TASK_db_PING_URL": PING + "/"})
    masked = mask(f"ping POST {PING}/fail: HTTP 500")
    assert_no_token(masked)


def test_empty_url_variables_mask_nothing() -> None:
    mask = masker({"CONF_NOTIFY_URLS": "", "TASK_db_PING_URL": ""})
    assert mask("nothing secret here, https://example.com") == "nothing secret here, https://example.com"


# --- every log line -----------------------------------------------------------------------------

ENV = {
    "CONF_NOTIFY_URLS": f"{NTFY}, {SLACK}",
    "TASK_db_NOTIFY_URLS": WEBHOOK,
    "TASK_db_PING_URL": PING,
    "TASK_db_LOAD": "true",
}


def log_lines(fmt: str) -> str:
    environment = build_environment(ENV)
    stream = io.StringIO()
    log = Log(environment.mask, UTC, fmt, stream)
    log.event(f"notification to {SLACK} failed", task="db", level="warning")
    log.event(f"ping {PING}/start: connection refused", task="db", level="warning")
    log.event(f"config: CONF_NOTIFY_URLS={ENV['CONF_NOTIFY_URLS']}")
    log.event(f"POST {PING}/fail", task="db", step="load")
    tail = log.output("db", "load", "stdout", f"curl {WEBHOOK} && curl {NTFY}")
    assert_no_token(tail)
    log.output("db", "load", "stderr", f"warning: {PING}/fail returned 404")
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_urls_are_masked_in_every_log_line(fmt: str) -> None:
    text = log_lines(fmt)
    assert len(text.splitlines()) == 6
    for line in text.splitlines():
        assert MASK in line, line
        assert_no_token(line)
        if fmt == "json":
            assert_no_token(json.dumps(json.loads(line)))
