"""The values every layer shares: a task and its steps, a run's result, its status and trigger, the
daemon's plan, what a target holds, a database server's URL.

The lowest layer: it imports nothing of the project, so any package may import it. One module per
kind of value; everything is imported from here (`from ..model import Task`).
"""

from __future__ import annotations

from .database import DatabaseUrl
from .runs import (
    EXIT_TERMINATED,
    BackupStats,
    LastRuns,
    PlannedTask,
    RestoreRecord,
    RunObserver,
    RunResult,
    Status,
    Trigger,
    last_runs,
)
from .target import BackupChain, TargetContents
from .task import (
    CHAIN_STEPS,
    HOOK_STEPS,
    MAIN_STEPS,
    RETENTION_STEP,
    STEPS,
    Schedule,
    SqlCheck,
    Task,
    builtin_steps,
    default_max_age,
    dumps_databases,
    run_steps,
)
from .text import UNPRINTABLE, printable, split_authority

__all__ = [
    "CHAIN_STEPS", "EXIT_TERMINATED", "HOOK_STEPS", "MAIN_STEPS", "RETENTION_STEP", "STEPS", "UNPRINTABLE",
    "BackupChain", "BackupStats", "DatabaseUrl", "LastRuns", "PlannedTask", "RestoreRecord", "RunObserver",
    "RunResult", "Schedule", "SqlCheck", "Status", "TargetContents", "Task", "Trigger", "builtin_steps",
    "default_max_age", "dumps_databases", "last_runs", "printable", "run_steps", "split_authority",
]  # fmt: skip
