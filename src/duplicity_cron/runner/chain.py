"""The step chain of one run: prepare → extract → transform → load → retention → succeed, stopping at
the first failure, then the hooks `failed` (after a failure) and `finally` (always). `retention` is a
built-in step (KEEP_FULL/KEEP), the others the task's own or, for `load`, the built-in backup.

Pure: running a step is a function passed in, so the order and the resulting status are unit-tested
without processes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from ..model import CHAIN_STEPS, EXIT_TERMINATED, HOOK_STEPS, Status
from .processes.step import StepOutcome

# (step, deadline, stop_on_interrupt) -> outcome; the deadline is monotonic seconds or None.
StepRunner = Callable[[str, float | None, bool], StepOutcome]


@dataclass(frozen=True)
class ChainResult:
    status: Status
    failed_step: str | None = None
    exit_code: int = 0


SUCCEEDED = ChainResult(Status.SUCCEEDED)


def run_main_steps(
    steps: Collection[str], run: StepRunner, deadline: float | None, interrupted: Callable[[], bool]
) -> ChainResult:
    """The main chain, in order, until a step fails, times out or is interrupted."""
    for step in CHAIN_STEPS:
        if step not in steps:
            continue
        if interrupted():
            return ChainResult(Status.INTERRUPTED, None, EXIT_TERMINATED)
        outcome = run(step, deadline, True)
        # A step stopped by the timeout or a shutdown did not finish its work, even if it
        # handled SIGTERM and exited 0: a backup cut short is not a success.
        if outcome.timed_out:
            return ChainResult(Status.TIMED_OUT, step, outcome.exit_code or EXIT_TERMINATED)
        if outcome.interrupted:
            return ChainResult(Status.INTERRUPTED, step, outcome.exit_code or EXIT_TERMINATED)
        if outcome.exit_code != 0:
            return ChainResult(Status.FAILED, step, outcome.exit_code)
    return SUCCEEDED


def run_hooks(
    steps: Collection[str],
    run: StepRunner,
    result: ChainResult,
    deadline: float | None,
    warn: Callable[[str, str], None],
) -> ChainResult:
    """`failed` when the chain did not succeed, then `finally`; both run during a shutdown too.

    A failing hook is a warning `warn(step, message)`, and fails a run that had succeeded.
    """
    for hook in HOOK_STEPS:
        if hook not in steps or (hook == "failed" and result.status is Status.SUCCEEDED):
            continue
        outcome = run(hook, deadline, False)
        if outcome.exit_code != 0 or outcome.timed_out:
            warn(hook, f"{hook} exited with code {outcome.exit_code}")
            if result.status is Status.SUCCEEDED:
                status = Status.TIMED_OUT if outcome.timed_out else Status.FAILED
                result = ChainResult(status, hook, outcome.exit_code or EXIT_TERMINATED)
    return result
