"""The one line that ends every run, and its fields for JSON logs."""

from __future__ import annotations

from typing import Any

from ..config.durations import format_duration
from ..model import RunResult


def summary_text(result: RunResult) -> str:
    what = "verify" if result.trigger.is_drill else "run"
    text = f"{what} {result.status} in {format_duration(result.duration)} (exit code {result.exit_code}"
    if result.failed_step:
        text += f", failed step {result.failed_step}"
    return text + ")"


def summary_fields(result: RunResult) -> dict[str, Any]:
    """The fields a JSON log line of the summary carries besides time, level, task and message."""
    return {
        "event": "run_finished",
        "status": str(result.status),
        "trigger": str(result.trigger),
        "duration": round(result.duration, 3),
        "exit_code": result.exit_code,
        "failed_step": result.failed_step,
    }
