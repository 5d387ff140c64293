"""One run of a task: work folders, then prepare → extract → transform → load → succeed, failed, finally."""

from __future__ import annotations

import shutil
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from .config import HOOK_STEPS, MAIN_STEPS, Task
from .log import Log
from .result import RunResult, Status, Trigger
from .step import Cancel, run_step

OUTPUT_TAIL_LINES = 50
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a step times out


def empty_dir(path: Path) -> None:
    """Make `path` an empty folder. Its content goes, the folder itself stays (it may be a mount point)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def run_task(
    task: Task,
    *,
    work_dir: Path,
    env: Mapping[str, str],
    log: Log,
    trigger: Trigger,
    cancel: Cancel | None = None,
) -> RunResult:
    """Run `task` once and return what happened. Never raises for a failing step."""
    own_cancel = cancel is None
    cancel = cancel or Cancel()
    started = datetime.now(UTC)
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
    log.event(f"run started ({trigger})", task=task.id)

    def run_one(step: str, deadline: float | None, stop_on_interrupt: bool) -> tuple[int, bool, bool]:
        def on_line(stream: str, text: str) -> None:
            tail.append(log.output(task.id, step, stream, text))

        outcome = run_step(
            task.steps[step],
            cwd=str(work_dir),
            env=step_env,
            on_line=on_line,
            cancel=cancel,
            deadline=deadline,
            kill_grace=KILL_GRACE,
            stop_on_interrupt=stop_on_interrupt,
        )
        if outcome.timed_out:
            log.event(
                f"timed out after {task.timeout:g}s; the step was stopped",
                task=task.id,
                step=step,
                level="error",
            )
        return outcome.exit_code, outcome.timed_out, outcome.interrupted

    status, failed_step, exit_code = Status.SUCCEEDED, None, 0
    step_env = dict(env)
    try:
        src, dst = work_dir / task.id / "src", work_dir / task.id / "dst"
        empty_dir(src)
        empty_dir(dst)
        step_env.update(SRC=str(src), DST=str(dst), TASK_ID=task.id)
    except OSError as exc:
        log.event(f"cannot prepare the work folders: {exc}", task=task.id, level="error")
        status, failed_step, exit_code = Status.FAILED, "setup", 1

    deadline = time.monotonic() + task.timeout if task.timeout else None
    if status is Status.SUCCEEDED:
        for step in MAIN_STEPS:
            if step not in task.steps:
                continue
            if cancel.interrupted:
                status, exit_code = Status.INTERRUPTED, 143
                break
            code, timed_out, interrupted = run_one(step, deadline, True)
            if code != 0:
                status = (
                    Status.TIMED_OUT if timed_out else Status.INTERRUPTED if interrupted else Status.FAILED
                )
                failed_step, exit_code = step, code
                break

    # The hooks get a deadline of their own, as long as TIMEOUT: the chain's may have expired already.
    hooks_deadline = time.monotonic() + task.timeout if task.timeout else None
    step_env.update(RUN_STATUS=str(status), RUN_FAILED_STEP=failed_step or "", RUN_EXIT_CODE=str(exit_code))
    for hook in HOOK_STEPS:
        if hook not in task.steps or (hook == "failed" and status is Status.SUCCEEDED):
            continue
        code, timed_out, _ = run_one(hook, hooks_deadline, False)
        if code != 0:
            log.event(f"{hook} exited with code {code}", task=task.id, step=hook, level="warning")
            if status is Status.SUCCEEDED:
                status = Status.TIMED_OUT if timed_out else Status.FAILED
                failed_step, exit_code = hook, code

    if own_cancel:
        cancel.close()
    result = RunResult(
        task=task.id,
        status=status,
        trigger=trigger,
        started=started,
        ended=datetime.now(UTC),
        exit_code=exit_code,
        failed_step=failed_step,
        output_tail=tuple(tail),
    )
    log.summary(result)
    return result
