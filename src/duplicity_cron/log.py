"""Log lines: every line the runner prints, its own or a step's, goes through `Log` to be masked and framed.

Text: `2026-11-26T07:00:00+01:00 [task/step] message`. JSON: one object a line with the same fields.
Control characters never reach the terminal raw: `\x1b` in text, `\u001b` in JSON.
May import: `model`, `config` (it stands beside `state` and `views`, and imports neither).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any, TextIO

from .model import UNPRINTABLE, printable


class Log:
    """Thread-safe, masking line writer. Steps of concurrent runs share one Log."""

    def __init__(
        self,
        mask: Callable[[str], str],
        timezone: tzinfo,
        fmt: str = "text",
        stream: TextIO | None = None,
    ) -> None:
        self._mask = mask
        self._tz = timezone
        self._json = fmt == "json"
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()  # signal handlers never log: see runner.foreground.Interrupter

    def mask(self, text: str) -> str:
        return self._mask(text)

    def _now(self) -> str:
        return datetime.now(self._tz).isoformat(timespec="seconds")

    def _write(self, fields: dict[str, Any], text_line: str) -> None:
        """Masked text arrives here; what a terminal would obey is escaped (`printable`), and masked
        again when that changed the line, so that no secret shows in its escaped form either."""
        if self._json:
            # JSON escapes C0 itself; the rest (DEL, C1, separators, bidi) as \uXXXX: same value decoded.
            line = UNPRINTABLE.sub(_json_escape, json.dumps(fields, ensure_ascii=False))
        else:
            line = printable(text_line)
            if line != text_line:
                line = self._mask(line)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                pass  # nobody reads our output any more; the run itself must go on

    def event(
        self,
        message: str,
        *,
        task: str | None = None,
        step: str | None = None,
        level: str = "info",
        **extra: Any,
    ) -> None:
        """A line of the runner's own (level info, warning or error)."""
        message = self._mask(message)
        extra = {key: self._mask(value) if isinstance(value, str) else value for key, value in extra.items()}
        time = self._now()
        where = f" [{task}{'/' + step if step else ''}]" if task else ""
        prefix = "" if level == "info" else f"{level.upper()}: "
        fields = {"time": time, "level": level, "task": task, "step": step, "message": message, **extra}
        self._write({k: v for k, v in fields.items() if v is not None}, f"{time}{where} {prefix}{message}")

    def warner(self, task: str) -> Callable[[str], None]:
        """A function that logs its message as a warning of `task` (for observers' problems)."""
        return lambda message: self.event(message, task=task, level="warning")

    def output(self, task: str, step: str, stream: str, text: str, cut: bool = False) -> str:
        """A line a step printed; returns it masked (for the run's output tail).

        A `cut` line (longer than the step reader takes) may end with the start of a secret.
        """
        if cut:
            masked = getattr(self._mask, "cut", self._mask)(text) + " [cut: the line was longer than 64 KiB]"
        else:
            masked = self._mask(text)
        time = self._now()
        marker = "!" if stream == "stderr" else ""
        self._write(
            {
                "time": time,
                "level": "output",
                "task": task,
                "step": step,
                "stream": stream,
                "message": masked,
            },
            f"{time} [{task}/{step}]{marker} {masked}",
        )
        return masked

    def summary(self, task: str, message: str, succeeded: bool, fields: Mapping[str, Any]) -> None:
        """The one line that ends every run (`views.summary` makes its text and fields)."""
        time = self._now()
        line = {"time": time, "level": "info" if succeeded else "error", "task": task, "message": message}
        self._write({**line, **fields}, f"{time} [{task}] {message}")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
