"""Notifications (Apprise JSON webhook) and ping monitors against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest

from .http_recorder import Recorder, free_port

CANARY = "canary-T0ken-5d2e77"


@pytest.fixture
def endpoint():
    recorder = Recorder()
    yield recorder
    recorder.close()


def webhook(endpoint: Recorder, path: str = "notify") -> str:
    return f"json://127.0.0.1:{endpoint.port}/{path}"


def notifications(endpoint: Recorder) -> list[dict]:
    return [json.loads(r.body) for r in endpoint.requests if r.path.startswith("/notify")]


def test_a_failed_run_notifies_with_step_exit_code_and_masked_tail(cli, endpoint):
    env = {
        "DB_PASSWORD": CANARY,
        "CONF_NOTIFY_URLS": webhook(endpoint),
        "TASK_db_EXTRACT": 'echo "connecting with $DB_PASSWORD"; echo dump-line-2',
        "TASK_db_LOAD": "echo uploading; exit 23",
    }
    result = cli("exec", "db", env=env)
    assert result.returncode == 1
    [message] = notifications(endpoint)
    assert message["type"] == "failure"
    assert "db" in message["title"] and "failed" in message["title"]
    body = message["message"]
    assert "Failed step: load" in body and "Exit code: 23" in body and "Duration:" in body
    assert "connecting with ***" in body and "uploading" in body
    assert CANARY not in json.dumps(message)
    assert "notified 1 URL(s)" in result.stdout


def test_success_is_not_notified_by_default_but_is_with_always(cli, endpoint):
    env = {"CONF_NOTIFY_URLS": webhook(endpoint), "TASK_t_LOAD": "true"}
    assert cli("exec", "t", env=env).returncode == 0
    assert notifications(endpoint) == []
    assert cli("exec", "t", env={**env, "CONF_NOTIFY_ON": "always"}).returncode == 0
    [message] = notifications(endpoint)
    assert message["type"] == "success" and "succeeded" in message["title"]


def test_task_urls_add_to_global_ones_and_task_notify_on_governs_both(cli, endpoint):
    env = {
        "CONF_NOTIFY_URLS": webhook(endpoint, "notify-global"),
        "TASK_a_NOTIFY_URLS": webhook(endpoint, "notify-a"),
        "TASK_a_LOAD": "exit 1",
        "TASK_b_NOTIFY_ON": "never",
        "TASK_b_LOAD": "exit 1",
    }
    assert cli("exec", "a", "b", env=env).returncode == 1
    assert sorted(endpoint.paths("POST")) == ["/notify-a", "/notify-global"]


def test_pings_start_then_success(cli, endpoint):
    env = {"TASK_t_PING_URL": f"{endpoint.url}/ping/abc", "TASK_t_LOAD": "echo done"}
    assert cli("exec", "t", env=env).returncode == 0
    assert [(r.method, r.path) for r in endpoint.requests] == [
        ("GET", "/ping/abc/start"),
        ("GET", "/ping/abc"),
    ]


@pytest.mark.parametrize(
    ("load", "timeout", "status"), [("exit 4", None, "failed"), ("sleep 30", "1", "timed_out")]
)
def test_pings_fail_with_the_masked_output_tail(cli, endpoint, load, timeout, status):
    env = {
        "API_TOKEN": CANARY,
        "TASK_t_PING_URL": f"{endpoint.url}/ping/abc",
        "TASK_t_PREPARE": 'echo "token is $API_TOKEN"',
        "TASK_t_LOAD": load,
    }
    if timeout:
        env["TASK_t_TIMEOUT"] = timeout
    assert cli("exec", "t", env=env).returncode == 1
    start, fail = endpoint.requests
    assert (start.method, start.path) == ("GET", "/ping/abc/start")
    assert (fail.method, fail.path) == ("POST", "/ping/abc/fail")
    body = fail.body.decode()
    assert f"t: {status}, failed step load" in body
    assert "token is ***" in body and CANARY not in body


def test_ping_and_notification_urls_never_show_in_the_log(cli, endpoint):
    ping_url = f"{endpoint.url}/ping/{CANARY}"
    env = {
        "CONF_NOTIFY_URLS": f"json://127.0.0.1:{free_port()}/{CANARY}",  # refused: its error is logged
        "TASK_t_PING_URL": ping_url,
        "TASK_t_LOAD": f'echo "my monitor is {ping_url}"; exit 1',
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert CANARY not in result.output
    assert "my monitor is ***" in result.stdout


@pytest.mark.slow
def test_hanging_endpoints_delay_a_run_by_bounded_time_and_never_fail_it(cli, endpoint):
    env = {
        "CONF_NOTIFY_URLS": webhook(endpoint, "hang/notify"),
        "CONF_NOTIFY_ON": "always",
        "TASK_t_PING_URL": f"{endpoint.url}/hang/ping",
        "TASK_t_LOAD": "true",
    }
    started = time.monotonic()
    result = cli("exec", "t", env=env, timeout=120)
    took = time.monotonic() - started
    assert result.returncode == 0, result.output
    # start ping: 2 tries x 5 s + 1 s; notification: 10 s in total; success ping: 2 x 5 s + 1 s.
    assert took < 11 + 10 + 11 + 4, f"took {took:.1f}s"
    assert "ping *** failed after 2 tries" in result.stdout
    assert "WARNING: notification not delivered" in result.stdout
    assert endpoint.paths().count("/hang/ping/start") == 2


def test_refused_endpoints_cost_nothing_and_never_fail_a_run(cli):
    port = free_port()  # nothing listens there
    env = {
        "CONF_NOTIFY_URLS": f"json://127.0.0.1:{port}/notify",
        "CONF_NOTIFY_ON": "always",
        "TASK_t_PING_URL": f"http://127.0.0.1:{port}/ping",
        "TASK_t_LOAD": "true",
    }
    started = time.monotonic()
    result = cli("exec", "t", env=env)
    assert result.returncode == 0, result.output
    assert time.monotonic() - started < 10
    assert "run succeeded" in result.stdout


def test_invalid_monitoring_settings_are_configuration_errors(cli):
    env = {
        "CONF_NOTIFY_URLS": "json://127.0.0.1:9/ok notaurl://secret-part",
        "CONF_NOTIFY_ON": "sometimes",
        "CONF_METRICS_PORT": "99999",
        "TASK_t_PING_URL": "ftp://example/ping",
        "TASK_t_MAX_AGE": "old",
        "TASK_t_CRONTAB": "@daily",
        "TASK_t_LOAD": "true",
    }
    result = cli("check", env=env)
    assert result.returncode == 2
    err = result.stderr
    assert "CONF_NOTIFY_ON: 'sometimes' is not one of failure, always, never" in err
    assert "CONF_METRICS_PORT: '99999' is not a TCP port" in err
    assert "TASK_t_PING_URL: is not an http:// or https:// URL" in err
    assert "TASK_t_MAX_AGE: 'old' is not a duration" in err
    # Apprise's verdict comes with all the others; the URL itself is never printed.
    assert "CONF_NOTIFY_URLS: Apprise cannot use URL #2 (scheme notaurl)" in err
    assert "5 configuration error(s)" in err
    assert "secret-part" not in err


def test_apprise_problem_messages_never_quote_the_url(cli, endpoint):
    """Apprise's own warnings name an ntfy topic or a user: they are not passed on."""
    env = {
        "CONF_NOTIFY_URLS": f"ntfy://127.0.0.1:{endpoint.port}/fail500{CANARY}",
        "TASK_t_LOAD": "exit 1",
    }
    result = cli("exec", "t", env=env)
    assert result.returncode == 1
    assert any(CANARY.encode() in r.body for r in endpoint.requests)  # it was really sent, and refused
    assert "reported a problem" in result.stdout
    assert CANARY not in result.output
    assert CANARY[:12] not in result.output
