"""The step chain with a fake step runner: order, stop at the first failure, hooks, statuses and exit
codes, deadlines."""

from __future__ import annotations

import pytest

from duplicity_cron.model import EXIT_TERMINATED, Status
from duplicity_cron.runner.chain import SUCCEEDED, ChainResult, run_hooks, run_main_steps
from duplicity_cron.runner.processes.step import StepOutcome

ALL = ("prepare", "extract", "transform", "load", "succeed", "failed", "finally")


class FakeSteps:
    """Records each call; `outcomes` says how a step ends (default: exit 0)."""

    def __init__(self, **outcomes: StepOutcome) -> None:
        self.outcomes = outcomes
        self.calls: list[tuple[str, float | None, bool]] = []

    def __call__(self, step: str, deadline: float | None, stop_on_interrupt: bool) -> StepOutcome:
        self.calls.append((step, deadline, stop_on_interrupt))
        return self.outcomes.get(step, StepOutcome(0))

    @property
    def order(self) -> list[str]:
        return [step for step, _, _ in self.calls]


def never() -> bool:
    return False


def test_main_steps_run_in_order_with_one_deadline_and_stop_on_interrupt() -> None:
    steps = FakeSteps()
    result = run_main_steps({"load": "x", "prepare": "x", "extract": "x", "failed": "x"}, steps, 99.0, never)
    assert result == SUCCEEDED
    assert steps.calls == [("prepare", 99.0, True), ("extract", 99.0, True), ("load", 99.0, True)]


def test_missing_steps_are_skipped() -> None:
    steps = FakeSteps()
    assert run_main_steps({"succeed": "x"}, steps, None, never) == SUCCEEDED
    assert steps.order == ["succeed"]


def test_the_first_failure_ends_the_chain_with_its_exit_code() -> None:
    steps = FakeSteps(extract=StepOutcome(23))
    result = run_main_steps(dict.fromkeys(ALL, "x"), steps, None, never)
    assert result == ChainResult(Status.FAILED, "extract", 23)
    assert steps.order == ["prepare", "extract"]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (StepOutcome(0, timed_out=True), ChainResult(Status.TIMED_OUT, "load", EXIT_TERMINATED)),
        (StepOutcome(137, timed_out=True), ChainResult(Status.TIMED_OUT, "load", 137)),
        (StepOutcome(0, interrupted=True), ChainResult(Status.INTERRUPTED, "load", EXIT_TERMINATED)),
        (StepOutcome(130, interrupted=True), ChainResult(Status.INTERRUPTED, "load", 130)),
    ],
)
def test_a_step_cut_short_is_never_a_success_even_with_exit_0(
    outcome: StepOutcome, expected: ChainResult
) -> None:
    steps = FakeSteps(load=outcome)
    assert run_main_steps({"load": "x", "succeed": "x"}, steps, None, never) == expected
    assert steps.order == ["load"]


def test_an_interrupt_before_a_step_starts_stops_the_chain() -> None:
    steps = FakeSteps()
    interrupted = iter([False, True])
    result = run_main_steps({"prepare": "x", "load": "x"}, steps, None, lambda: next(interrupted))
    assert result == ChainResult(Status.INTERRUPTED, None, EXIT_TERMINATED)
    assert steps.order == ["prepare"]


def test_after_success_only_finally_runs_without_stop_on_interrupt() -> None:
    steps, warnings = FakeSteps(), []
    result = run_hooks(dict.fromkeys(ALL, "x"), steps, SUCCEEDED, 7.0, lambda *w: warnings.append(w))
    assert result == SUCCEEDED and warnings == []
    assert steps.calls == [("finally", 7.0, False)]


def test_after_a_failure_failed_then_finally_run_and_the_failure_stays() -> None:
    steps, warnings = FakeSteps(failed=StepOutcome(5)), []
    failure = ChainResult(Status.FAILED, "load", 23)
    result = run_hooks(dict.fromkeys(ALL, "x"), steps, failure, None, lambda *w: warnings.append(w))
    assert result == failure
    assert steps.order == ["failed", "finally"]
    assert warnings == [("failed", "failed exited with code 5")]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (StepOutcome(4), ChainResult(Status.FAILED, "finally", 4)),
        (StepOutcome(0, timed_out=True), ChainResult(Status.TIMED_OUT, "finally", EXIT_TERMINATED)),
    ],
)
def test_a_failing_finally_fails_a_successful_run(outcome: StepOutcome, expected: ChainResult) -> None:
    warnings: list[tuple[str, str]] = []
    steps = FakeSteps(**{"finally": outcome})  # a keyword: passed through a dict
    result = run_hooks({"finally": "x"}, steps, SUCCEEDED, None, lambda *w: warnings.append(w))
    assert result == expected
    assert [step for step, _ in warnings] == ["finally"]


def test_no_hook_defined_keeps_the_result() -> None:
    failure = ChainResult(Status.TIMED_OUT, "load", 143)
    assert run_hooks({"load": "x"}, FakeSteps(), failure, None, lambda *w: None) == failure


def test_retention_runs_between_load_and_succeed_and_a_failing_one_fails_the_run() -> None:
    steps = FakeSteps(retention=StepOutcome(50))
    chain = {"load": "x", "retention": "x", "succeed": "x", "prepare": "x"}
    result = run_main_steps(chain, steps, None, never)
    assert result == ChainResult(Status.FAILED, "retention", 50)
    assert steps.order == ["prepare", "load", "retention"]


def test_retention_does_not_run_after_a_failed_load() -> None:
    steps = FakeSteps(load=StepOutcome(23))
    result = run_main_steps({"load": "x", "retention": "x"}, steps, None, never)
    assert result == ChainResult(Status.FAILED, "load", 23)
    assert steps.order == ["load"]
