"""One run of a task: its work folders, the step chain and its hooks, inside what every run goes
through (`locked_run.run_locked`: the lock, the in-progress record, the observers told).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..model import RunResult, Status, Task, Trigger
from .backup_evidence import BackupEvidence
from .chain import SUCCEEDED, ChainResult, run_hooks, run_main_steps
from .context import LockedRun, RunContext
from .folders import empty_dir
from .keyring import KeyringError, end_gpg_agent, prepare_keyring
from .locked_run import OutputTail, RunWork, run_locked
from .processes.cancel import Cancel, given_or_own
from .processes.step import StepOutcome
from .progress import BackupFilter, log_reporter
from .source_guard import checked_source
from .steps import load_step, needs_new_chain, run_steps_of
from .whole_seconds import wait_past_previous_run


def run_task(task: Task, context: RunContext, trigger: Trigger, cancel: Cancel | None = None) -> RunResult:
    """Run `task` once and return what happened. Never raises for a failing step."""
    with given_or_own(cancel) as run_cancel:

        def body(run: LockedRun) -> RunWork:
            wait_past_previous_run(task, context.state_dir, run.cancel, datetime.now(UTC))
            return _Run(run).work()

        return run_locked(task, context, trigger, run_cancel, body)


class _Run:
    def __init__(self, run: LockedRun) -> None:
        self.run = run
        self.task = run.task
        self.context = run.context
        self.log = run.context.log
        self.env = dict(run.context.env)  # and what the run adds (SRC, DST, RUN_STATUS...)
        self.tail = OutputTail(self.log, self.task.id)
        self.new_chain = needs_new_chain(self.task, self.context)
        self.commands = run_steps_of(self.task, self.context, self.new_chain)
        self.evidence = BackupEvidence(self.task, self.context, full_load=self.new_chain)

    def work(self) -> RunWork:
        """The work folders, the main chain, then the hooks (which run after a setup failure too), then
        what the target holds."""
        try:
            outcome = self._chain()
            self.evidence.read_contents(self.run)
        finally:
            if self.task.target is not None:
                end_gpg_agent(self.context.gnupg_home(self.task.id))
        return RunWork(outcome, tuple(self.tail.lines), self.evidence.backup_stats())

    def _chain(self) -> ChainResult:
        outcome = self._prepare_folders()
        if outcome.status is Status.SUCCEEDED:
            self.evidence.before_chain()
            outcome = run_main_steps(
                self.commands, self._step, self.run.deadline(), lambda: self.run.cancel.interrupted
            )
        self.env.update(
            RUN_STATUS=str(outcome.status),
            RUN_FAILED_STEP=outcome.failed_step or "",
            RUN_EXIT_CODE=str(outcome.exit_code),
        )
        # The hooks get a deadline of their own, as long as TIMEOUT: the chain's may have expired already.
        return run_hooks(self.commands, self._step, outcome, self.run.deadline(), self._warn)

    def _say(self, step: str) -> Callable[[str, str], None]:
        """A line of the runner's own about `step`: logged, and a warning or error kept in the output
        tail (the notifications carry it)."""

        def say(level: str, message: str) -> None:
            self.log.event(message, task=self.task.id, step=step, level=level)
            if level != "info":
                self.tail.add(self.log.mask(message))

        return say

    def _warn(self, step: str, message: str) -> None:
        self.log.event(message, task=self.task.id, step=step, level="warning")

    def _prepare_folders(self) -> ChainResult:
        folder = self.context.task_folder(self.task.id)
        src, dst = folder / "src", folder / "dst"
        try:
            empty_dir(src)
            empty_dir(dst)
            if self.task.target is not None:  # the public key only: a run cannot read old backups
                prepare_keyring(self.task, self.context.gnupg_home(self.task.id), self.env, secret=False)
        except OSError as exc:
            self.log.event(f"cannot prepare the work folders: {exc}", task=self.task.id, level="error")
            return ChainResult(Status.FAILED, "setup", 1)
        except KeyringError as exc:
            message = f"cannot prepare the keyring: {exc}"
            self.log.event(message, task=self.task.id, level="error")
            self.tail.add(self.log.mask(message))
            return ChainResult(Status.FAILED, "setup", 1)
        self.env.update(SRC=str(src), DST=str(dst), TASK_ID=self.task.id)
        return SUCCEEDED

    def _step(self, step: str, deadline: float | None, stop_on_interrupt: bool) -> StepOutcome:
        reads_statistics = self.evidence.reads_statistics(step)
        interval = self.context.backup_progress_interval
        progress = None
        if reads_statistics and interval > 0:
            progress = BackupFilter(log_reporter(interval, self.log, self.task.id, step))

        def on_line(stream: str, text: str, cut: bool = False) -> None:
            if progress is not None and stream == "stdout" and progress.feed(text):
                return  # a progress line: one log line every CONF_PROGRESS_INTERVAL instead
            if reads_statistics and stream == "stdout":
                self.evidence.statistics.feed(text)
            self.tail.output(step, stream, text, cut)

        self.run.at_step(step)
        command = self.commands[step]
        if reads_statistics:  # the built-in backup: of SOURCE as it is now, links followed
            source = checked_source(self.task, self.env["SRC"], self.context.state_dir, self._say(step))
            if source is None:
                return StepOutcome(1)  # nothing written: no target to read after the chain either
            command = load_step(self.task, self.context, self.new_chain, source)
        self.evidence.step_starts(step)
        if command.notice:
            self.log.event(command.notice, task=self.task.id, step=step, level="warning")
            self.tail.add(self.log.mask(command.notice))
        env = {**self.env, **command.env}
        outcome = self.run.run(command.command, env, on_line, deadline, stop_on_interrupt)
        self.evidence.step_ended(step, outcome, self._warn)
        if outcome.timed_out:
            self.log.event(
                f"timed out after {self.task.timeout:g}s; the step was stopped",
                task=self.task.id,
                step=step,
                level="error",
            )
        return outcome
