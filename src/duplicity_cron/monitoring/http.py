"""The daemon's one HTTP server on CONF_METRICS_PORT: `/metrics` (prometheus-client's WSGI app) and `/`,
the read-only status page, rendered at each request from the state folder.

wsgiref's server with a thread per request, as prometheus-client's own `start_http_server` runs it.
GET and HEAD only (405 otherwise), 404 for any other path; the page is sent with a strict
Content-Security-Policy (no script, nothing from elsewhere) and never cached.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from ..views.status_page import CONTENT_SECURITY_POLICY

StartResponse = Callable[..., Any]
PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
_READS = ("GET", "HEAD")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client never holds the daemon's stop


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: scrapes every few seconds would drown the runs' lines."""


def _plain(
    start_response: StartResponse, status: str, text: str, extra: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    )
    return [body]


def application(registry: CollectorRegistry, page: Callable[[str], str]) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: `page(prefix)` renders the status page, given the request's X-Forwarded-Prefix
    (validated by the page: anything but a plain path is ignored)."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO") or "/", environ.get("REQUEST_METHOD", "GET")
        if path not in ("/", "/metrics"):
            return _plain(
                start_response, "404 Not Found", f"no such page: {path}; the pages are / and /metrics"
            )
        if method not in _READS:
            return _plain(
                start_response, "405 Method Not Allowed", f"{method} is not allowed: GET or HEAD",
                [("Allow", ", ".join(_READS))],
            )  # fmt: skip
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        try:
            body = page(environ.get("HTTP_X_FORWARDED_PREFIX", "")).encode()
        except Exception as exc:  # a bug must not cost the daemon its thread, nor print state or secrets
            where = _last_frame(exc)
            print(f"status page: cannot draw it: {type(exc).__name__} at {where}", file=sys.stderr)
            return _plain(
                start_response, "500 Internal Server Error",
                f"the status page cannot be drawn ({type(exc).__name__}; the daemon's log says where); "
                "`duplicity-cron status` and /metrics still work",
            )  # fmt: skip
        start_response("200 OK", [*PAGE_HEADERS, ("Content-Length", str(len(body)))])
        return [b"" if method == "HEAD" else body]

    return app


def _last_frame(exc: BaseException) -> str:
    """`file:line` of the frame that raised: where to look, without the message (it may quote state)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def serve(port: int, registry: CollectorRegistry, page: Callable[[str], str]) -> WSGIServer:
    """Serve `/metrics` and the page on all interfaces, in a thread of its own; OSError when the port
    is taken."""
    server = make_server("0.0.0.0", port, application(registry, page), _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
