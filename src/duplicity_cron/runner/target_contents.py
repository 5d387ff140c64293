"""After each run of a task with TARGET: `duplicity collection-status`, its result kept in the state
folder (`state.target`) for `status` and the metrics, so that neither ever waits on the backend.

It runs inside the task's lock, after the chain and its hooks and before the run's summary line (with
the run's GNUPGHOME and archive folder), and is bounded: at most the task's TIMEOUT or CONTENTS_TIMEOUT,
whichever is shorter. Whatever goes wrong is a warning: the run's verdict never depends on it, and
`status` keeps showing what was read last, with its time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..log import Log
from ..model import TargetContents, Task
from ..state import target
from ..targets.collection_status import NoCollectionStatus, parse_collection_status, warnings_in
from ..targets.duplicity import collection_status_command
from ..views.contents import contents_line
from .builtin import archive_path, gnupg_home
from .cancel import Cancel
from .process import run_step

STEP = "contents"
CONTENTS_TIMEOUT = 300.0  # seconds: a backend that hangs delays the next run by at most this much
KILL_GRACE = 5.0
MAX_LINES = 200_000  # a target of that many sets is far beyond what duplicity handles anyway


def read_target_contents(
    task: Task,
    *,
    work_dir: Path,
    state_dir: Path,
    env: Mapping[str, str],
    log: Log,
    cancel: Cancel,
    lock_fd: int,
) -> TargetContents | None:
    """Read what TARGET holds and keep it; None (and a warning) when that fails. Called inside a run,
    which ends the gpg-agent of the task's GNUPGHOME after it (`task_run._Run.steps`)."""
    command = collection_status_command(task, archive=archive_path(task, env))
    gnupg = gnupg_home(work_dir, task.id)
    stdout: list[str] = []

    def on_line(stream: str, text: str, cut: bool = False) -> None:
        if stream == "stdout":
            if len(stdout) < MAX_LINES:
                stdout.append(text)
        else:  # duplicity's errors: shown as the step's output, masked
            log.output(task.id, STEP, stream, text, cut=cut)

    limit = min(task.timeout or CONTENTS_TIMEOUT, CONTENTS_TIMEOUT)
    # collection-status starts a gpg-agent too (measured): the run ends it with its own, after this.
    outcome = run_step(
        command.shell, cwd=str(work_dir), env={**env, **command.env, "GNUPGHOME": str(gnupg)},
        on_line=on_line, cancel=cancel, deadline=time.monotonic() + limit, kill_grace=KILL_GRACE,
        keep_fds=(lock_fd,),
    )  # fmt: skip
    for warning in warnings_in(stdout):
        log.event(f"duplicity: {warning}", task=task.id, step=STEP, level="warning")
    if outcome.timed_out or outcome.interrupted or outcome.exit_code != 0:
        why = f"timed out after {limit:g}s" if outcome.timed_out else f"exited with code {outcome.exit_code}"
        _failed(task, log, f"duplicity collection-status {why}")
        return None
    try:
        contents = parse_collection_status(stdout, datetime.now(UTC))
    except NoCollectionStatus as exc:
        _failed(task, log, f"duplicity collection-status: {exc}")
        return None
    try:
        target.write(state_dir, task.id, contents)
    except OSError as exc:
        _failed(task, log, f"cannot keep it in {state_dir}: {exc}")
        return None
    log.event(f"the target holds {contents_line(contents)}", task=task.id, step=STEP)
    return contents


def _failed(task: Task, log: Log, why: str) -> None:
    log.event(
        f"cannot read what the target holds ({why}); `status` shows what was read before",
        task=task.id, step=STEP, level="warning",
    )  # fmt: skip
