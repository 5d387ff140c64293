"""The edge: a Docker-compatible engine's API (Docker's, or podman's `system service`), through the
`docker` library (docker-py, the optional dependency `duplicity-cron[docker]`, in the docker image).
It is imported when a run talks to an engine, never by the images or runs that do not.

The engine is the one DOCKER_HOST names (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), else the
socket at /var/run/docker.sock. Every failure is an `EngineError` of one line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .labels import Container

DEFAULT_SOCKET = "/var/run/docker.sock"
API_TIMEOUT = 120.0  # seconds for one API call; a stop waits the container's own stop timeout on top
OnLine = Callable[[str, str], None]  # (stream, text)


class EngineError(Exception):
    """The engine cannot be reached or refused a request: one line, what to do."""


class ContainerGone(EngineError):
    """The container is no longer there (removed during the run)."""


def engine_address(env: Mapping[str, str]) -> str:
    return env.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def engine_visible(env: Mapping[str, str]) -> bool:
    """An engine is named (DOCKER_HOST) or its default socket is there."""
    return bool(env.get("DOCKER_HOST")) or os.path.exists(DEFAULT_SOCKET)


def library_installed() -> bool:
    try:
        import docker  # noqa: F401
    except ImportError:
        return False
    return True


class Engine:
    """One connection to the engine, for one run."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.address = engine_address(env)
        try:
            import docker
        except ImportError:
            raise EngineError(
                "the docker library is not installed: use the docker image, or install duplicity-cron[docker]"
            ) from None
        self._errors: Any = docker.errors
        with self._calling("connect to"):
            kwargs = docker.utils.kwargs_from_env(environment=dict(env))
            kwargs["base_url"] = self.address
            self.api = docker.APIClient(version="auto", timeout=API_TIMEOUT, **kwargs)

    def containers(self) -> list[Container]:
        """Every container, running or not, with its labels."""
        with self._calling("list the containers of"):
            listed = self.api.containers(all=True)
        return [_container(entry) for entry in listed]

    def state(self, container: Container) -> str:
        with self._calling(f"inspect container {container.name} at", container):
            return str(self.api.inspect_container(container.id)["State"]["Status"])

    def stop(self, container: Container) -> None:
        """Stop with the container's own stop signal and timeout."""
        with self._calling(f"stop container {container.name} at", container):
            self.api.stop(container.id)

    def start(self, container: Container) -> None:
        with self._calling(f"start container {container.name} at", container):
            self.api.start(container.id)

    def exec(self, container: Container, command: str, on_line: OnLine) -> int:
        """`sh -c command` in the container, its output told line by line; its exit code."""
        with self._calling(f"run a command in container {container.name} at", container):
            created = self.api.exec_create(container.id, ["sh", "-c", command], stdout=True, stderr=True)
            chunks = self.api.exec_start(created["Id"], stream=True, demux=True)
            _tell_lines(chunks, on_line)
            code = self.api.exec_inspect(created["Id"])["ExitCode"]
        return int(code) if code is not None else 1

    @contextlib.contextmanager
    def _calling(self, what: str, container: Container | None = None) -> Iterator[None]:
        """The library's and the socket's exceptions as one `EngineError` line."""
        try:
            yield
        except EngineError:
            raise
        except Exception as exc:
            if isinstance(exc, self._errors.NotFound) and container is not None:
                raise ContainerGone(
                    f"container {container.name} is gone (removed during the run?); nothing to act on"
                ) from None
            raise EngineError(f"cannot {what} the container engine {self.address}: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    """The root cause of a library error, in a few words."""
    seen: BaseException | None = exc
    for _ in range(20):  # the causes of a socket error, as requests and urllib3 wrap it
        if seen is None:
            break
        if isinstance(seen, FileNotFoundError):
            return "no socket there; mount the engine's socket or set DOCKER_HOST"
        if isinstance(seen, PermissionError):
            return "permission denied on the socket; run the runner as a user the socket lets in"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused; is the engine running?"
        seen = (
            seen.__cause__
            or seen.__context__
            or next((arg for arg in getattr(seen, "args", ()) if isinstance(arg, BaseException)), None)
        )
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _container(entry: Mapping[str, Any]) -> Container:
    names = entry.get("Names") or [entry.get("Id", "")[:12]]
    return Container(
        id=str(entry["Id"]),
        name=str(names[0]).lstrip("/"),
        state=str(entry.get("State") or ""),
        labels=dict(entry.get("Labels") or {}),
    )


def _tell_lines(chunks: Iterator[tuple[bytes | None, bytes | None]], on_line: OnLine) -> None:
    pending = {"stdout": b"", "stderr": b""}
    for out, err in chunks:
        for stream, data in (("stdout", out), ("stderr", err)):
            if not data:
                continue
            *lines, pending[stream] = (pending[stream] + data).split(b"\n")
            for line in lines:
                on_line(stream, line.decode("utf-8", "replace"))
    for stream, rest in pending.items():
        if rest:
            on_line(stream, rest.decode("utf-8", "replace"))
