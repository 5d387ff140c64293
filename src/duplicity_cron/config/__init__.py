"""Configuration, pure: from an environment mapping to a validated `Config`, or every problem at once.

Owns the environment and its secrets (`environment`, `secrets`), the global settings (`settings`), the
task keys (`task_keys`, one row per key) and their parsing (`tasks`), schedules, durations and value
parsers. No process, file or network: reading env files and secret files is `cli.loading`'s.
May import: `model`, `databases` (its registry parses the database URLs, each by its engine). Inside:
`values`, `durations`, `schedules` < `task_keys` < `tasks`, `secrets` < `sizes` (what a step can
start with) < `settings`, `environment`.
"""

from .errors import ConfigError
from .settings import Config, parse_config

__all__ = ["Config", "ConfigError", "parse_config"]
