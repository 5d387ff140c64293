"""The one error the configuration layer raises."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration has problems; `problems` lists each, naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
