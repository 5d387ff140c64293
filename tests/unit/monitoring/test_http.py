"""The metrics port's WSGI app (`monitoring.http`): / the status page, /metrics, HEAD, 404, 405, the
page's headers and the X-Forwarded-Prefix it is given."""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

import pytest
from prometheus_client import CollectorRegistry, Gauge

from duplicity_cron.monitoring import http


def request(path: str, method: str = "GET", **headers: str) -> tuple[str, dict[str, str], bytes, list[str]]:
    """(status, headers, body, the prefixes the page was rendered with)."""
    registry = CollectorRegistry()
    Gauge("duplicity_cron_up", "1 while the scheduler runs", registry=registry).set(1)
    prefixes: list[str] = []

    def page(prefix: str) -> str:
        prefixes.append(prefix)
        return "<!DOCTYPE html><p>the page</p>"

    environ: dict = {"PATH_INFO": path, "REQUEST_METHOD": method, **headers}
    setup_testing_defaults(environ)
    started: list = []
    body = b"".join(http.application(registry, page)(environ, lambda s, h: started.append((s, dict(h)))))
    return started[0][0], started[0][1], body, prefixes


def test_the_page_is_served_at_the_root_with_a_strict_policy() -> None:
    status, headers, body, prefixes = request("/")
    assert status == "200 OK" and body == b"<!DOCTYPE html><p>the page</p>"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert (
        headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert headers["Cache-Control"] == "no-store" and headers["Content-Length"] == str(len(body))
    assert prefixes == [""]


def test_the_forwarded_prefix_reaches_the_page() -> None:
    assert request("/", HTTP_X_FORWARDED_PREFIX="/backups")[3] == ["/backups"]


def test_metrics_are_still_served() -> None:
    status, headers, body, prefixes = request("/metrics")
    assert status.startswith("200") and b"duplicity_cron_up 1.0" in body and not prefixes
    assert headers["Content-Type"].startswith("text/plain")


def test_head_sends_the_headers_without_the_body() -> None:
    status, headers, body, _ = request("/", "HEAD")
    assert status == "200 OK" and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize("path", ["/index.html", "/metrics/x", "/favicon.ico", "//"])
def test_other_paths_are_not_found(path: str) -> None:
    status, _, body, prefixes = request(path)
    assert status == "404 Not Found" and b"the pages are / and /metrics" in body and not prefixes


@pytest.mark.parametrize(
    ("path", "method"), [("/", "POST"), ("/", "PUT"), ("/metrics", "POST"), ("/", "DELETE")]
)
def test_only_get_and_head_are_allowed(path: str, method: str) -> None:
    status, headers, body, prefixes = request(path, method)
    assert status == "405 Method Not Allowed" and headers["Allow"] == "GET, HEAD" and not prefixes
    assert body == f"{method} is not allowed: GET or HEAD\n".encode()


def test_a_page_that_cannot_be_drawn_is_a_500_that_quotes_nothing(capsys) -> None:
    def broken(prefix: str) -> str:
        raise ValueError("state says s3cr3t")

    environ: dict = {"PATH_INFO": "/", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    started: list = []
    body = b"".join(http.application(CollectorRegistry(), broken)(environ, lambda s, h: started.append(s)))
    assert started == ["500 Internal Server Error"]
    assert b"cannot be drawn (ValueError" in body and b"s3cr3t" not in body
    err = capsys.readouterr().err
    assert "status page: cannot draw it: ValueError at test_http.py:" in err and "s3cr3t" not in err
