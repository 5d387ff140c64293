"""The whole configuration: the `CONF_*` settings and `TZ`, plus the tasks (parsed in tasks.py).

Pure: takes an environment mapping, returns a `Config` or every problem found at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import PurePosixPath

from .durations import parse_duration
from .schedule import parse_timezone
from .tasks import Task, parse_notify_on, parse_tasks, split_urls

DEFAULT_WORK_DIR = "/workdir"
DEFAULT_STATE_DIR = "/var/lib/duplicity-cron"
DEFAULT_STOP_GRACE = 8.0


class ConfigError(Exception):
    """The configuration has problems; `problems` lists each, naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Config:
    tasks: Mapping[str, Task]
    work_dir: PurePosixPath = PurePosixPath(DEFAULT_WORK_DIR)  # noqa: RUF009 - immutable value
    state_dir: PurePosixPath = PurePosixPath(DEFAULT_STATE_DIR)  # noqa: RUF009 - immutable value
    timezone: tzinfo = UTC
    log_format: str = "text"
    stop_grace: float = DEFAULT_STOP_GRACE
    notify_urls: tuple[str, ...] = ()
    notify_on: str = "failure"
    metrics_port: int | None = None

    @property
    def scheduled_tasks(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.schedule is not None]

    @property
    def restore_tasks(self) -> list[Task]:
        restores = [task for task in self.tasks.values() if task.restore is not None]
        return sorted(restores, key=lambda task: task.restore_order_key)

    def notify_urls_for(self, task: Task) -> tuple[str, ...]:
        """The task's URLs add to the global ones."""
        return self.notify_urls + tuple(url for url in task.notify_urls if url not in self.notify_urls)

    def notify_on_for(self, task: Task) -> str:
        """The task's NOTIFY_ON governs all its notifications, the global URLs' too."""
        return task.notify_on or self.notify_on


def _parse_port(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"{value!r} is not a TCP port (1-65535)")
    return int(value)


def _parse_format(value: str) -> str:
    if value.strip().lower() not in ("text", "json"):
        raise ValueError(f"{value!r} is not a log format; expected text or json")
    return value.strip().lower()


def _parse_absolute(value: str) -> PurePosixPath:
    path = PurePosixPath(value.strip())
    if not path.is_absolute():
        raise ValueError(f"{value!r} must be an absolute path")
    return path


# Global settings: variable, Config field, parser. An unset or empty variable keeps the default.
_SETTINGS = (
    ("TZ", "timezone", parse_timezone),
    ("CONF_WORK_DIR", "work_dir", _parse_absolute),
    ("CONF_STATE_DIR", "state_dir", _parse_absolute),
    ("CONF_LOG_FORMAT", "log_format", _parse_format),
    ("CONF_STOP_GRACE", "stop_grace", parse_duration),
    ("CONF_NOTIFY_URLS", "notify_urls", split_urls),
    ("CONF_NOTIFY_ON", "notify_on", parse_notify_on),
    ("CONF_METRICS_PORT", "metrics_port", _parse_port),
)


def parse_config(env: Mapping[str, str]) -> Config:
    """Build the configuration from `env`, or raise ConfigError listing every problem."""
    problems: list[str] = []
    settings = {}
    for variable, field, parse in _SETTINGS:
        if env.get(variable, "").strip():
            try:
                settings[field] = parse(env[variable])
            except ValueError as exc:
                problems.append(f"{variable}: {exc}")
    tasks = parse_tasks(env, settings.get("timezone", UTC), problems)
    if problems:
        raise ConfigError(problems)
    return Config(tasks=tasks, **settings)
