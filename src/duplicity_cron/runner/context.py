"""What the runs of one process share, and one run inside its task's lock.

`RunContext` is built once, by `cli` for a command or by `daemon` for the scheduler, and handed to
every run, drill and restore: the runner's functions take it instead of a bundle of arguments.
`LockedRun` is one run of one task while it holds the task's lock: the steps it starts inherit the
lock, share its cancel and are logged under its task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..config import Config
from ..config.duplicity_values import GNUPG_FOLDER
from ..log import Log
from ..model import RunObserver, Task
from ..targets.duplicity import archive_dir
from .processes.cancel import Cancel
from .processes.step import StepOutcome, run_step

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a step times out or is interrupted


@dataclass(frozen=True)
class RunContext:
    """Where tasks work and keep their state, the environment their steps start from, the log, who is
    told of each run, how progress is shown and how long a stop may take."""

    work_dir: Path
    state_dir: Path
    env: Mapping[str, str]
    log: Log
    observer: RunObserver | None = None  # history, metrics, notifications; None for a restore
    stop_grace: float = 0.0  # CONF_STOP_GRACE: how long a stopped run's hooks may take
    backup_progress_interval: float = 0.0  # a backup's progress line every so many seconds; 0: none
    progress_interval: float = 0.0  # the same for restores and drills
    terminal: TextIO | None = None  # a live progress bar there instead of progress lines
    restore_timeout: float = 12 * 3600.0  # CONF_RESTORE_TIMEOUT: `restore TASK`, drills without TIMEOUT
    docker_labels: str = "auto"  # CONF_DOCKER_LABELS: on, off or auto (runner.containers)
    restore_jobs: int = 1  # CONF_RESTORE_JOBS: connections a database is loaded on; 0 (auto): the CPUs

    @classmethod
    def of(
        cls,
        config: Config,
        env: Mapping[str, str],
        log: Log,
        observer: RunObserver | None = None,
        terminal: TextIO | None = None,
    ) -> RunContext:
        return cls(
            work_dir=Path(config.work_dir),
            state_dir=Path(config.state_dir),
            env=env,
            log=log,
            observer=observer,
            stop_grace=config.stop_grace,
            backup_progress_interval=config.backup_progress_interval,
            progress_interval=config.progress_interval,
            terminal=terminal,
            restore_timeout=config.restore_timeout,
            docker_labels=config.docker_labels,
            restore_jobs=config.restore_jobs,
        )

    def task_folder(self, task_id: str) -> Path:
        """`<work>/<id>`: the task's lock, its SRC and DST, its GNUPGHOME, its restores."""
        return self.work_dir / task_id

    def gnupg_home(self, task_id: str) -> Path:
        """The GNUPGHOME of the task's built-in duplicity commands (short: gpg-agent's sockets live
        in it, and the configuration refuses a work folder too long for their paths)."""
        return self.task_folder(task_id) / GNUPG_FOLDER

    def archive_path(self, task: Task) -> str:
        """Duplicity's archive folder (its cache) for `task`'s built-in commands."""
        return archive_dir(task, self.env, home_of(self.env)).path


def home_of(env: Mapping[str, str]) -> str:
    """`~` as duplicity would expand it for the steps: their HOME, else this user's home."""
    return env.get("HOME") or os.path.expanduser("~")


@dataclass(frozen=True)
class LockedRun:
    """One run of `task` holding its lock (`lock_fd`, inherited by its steps: see `runner.lock`)."""

    task: Task
    context: RunContext
    cancel: Cancel
    lock_fd: int
    at_step: Callable[[str], None] = lambda step: None  # told which step the run is in

    def deadline(self) -> float | None:
        """TIMEOUT from now, as a monotonic time; None without one."""
        return time.monotonic() + self.task.timeout if self.task.timeout else None

    def run(
        self,
        shell: str,
        env: Mapping[str, str],
        on_line: Callable[..., None],
        deadline: float | None,
        stop_on_interrupt: bool = True,
    ) -> StepOutcome:
        """`shell` in the work folder with exactly `env`, in its own process group, until it ends,
        `deadline` passes or the run is interrupted (see `processes.step.run_step`)."""
        return run_step(
            shell,
            cwd=str(self.context.work_dir),
            env=env,
            on_line=on_line,
            cancel=self.cancel,
            deadline=deadline,
            kill_grace=KILL_GRACE,
            stop_on_interrupt=stop_on_interrupt,
            keep_fds=(self.lock_fd,),
        )
