"""One run of a task: its work folders, the step chain and its hooks, inside what every run goes
through (`locked_run.run_locked`: the lock, the in-progress record, the observers told).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from ..model import RunResult, Status, Task, Trigger
from ..targets.duplicity_errors import Failure, explain
from .backup_evidence import BackupEvidence
from .chain import SUCCEEDED, ChainResult, run_hooks, run_main_steps
from .containers import BACKUP_STEP, RunContainers
from .context import LockedRun, RunContext
from .damaged_cache import set_aside_to_retry
from .folders import empty_dir
from .keyring import KeyringError, end_gpg_agent, prepare_keyring
from .locked_run import OutputTail, RunWork, run_locked
from .processes.cancel import Cancel, given_or_own
from .processes.step import StepOutcome
from .progress import BackupFilter, log_reporter
from .source_guard import checked_source
from .steps import load_step, needs_new_chain, run_steps_of
from .whole_seconds import wait_past_previous_run

FAILURE_LINES = 200  # the last lines of a built-in duplicity step kept to say why it failed


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
        self.cache_rebuilt = False  # the backup ran again once with duplicity's cache set aside
        self.containers = RunContainers(
            self.task, self.context, BACKUP_STEP in self.commands, self._said, self.tail.output
        )

    def work(self) -> RunWork:
        """The work folders, the main chain, then the hooks (which run after a setup failure too), then
        what the target holds."""
        try:
            outcome = self._chain()
            contents = self.evidence.read_contents(self.run)
        finally:
            if self.task.target is not None:
                end_gpg_agent(self.context.gnupg_home(self.task.id))
        size = None if contents is None else contents.size_bytes
        return RunWork(outcome, tuple(self.tail.lines), self.evidence.backup_stats(), target_bytes=size)

    def _chain(self) -> ChainResult:
        outcome = self._prepare_folders()
        if outcome.status is Status.SUCCEEDED:
            outcome = self.containers.begin()  # exec-before; then exec-after whatever happens
            if outcome.status is Status.SUCCEEDED:
                self.evidence.before_chain()
                outcome = run_main_steps(
                    self.commands, self._step, self.run.deadline(), lambda: self.run.cancel.interrupted
                )
            outcome = self.containers.end(outcome)
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

    def _said(self, step: str, level: str, message: str) -> None:
        self._say(step)(level, message)

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
        """Run `step`; the backup step with the labelled containers stopped (`runner.containers`)."""

        def run() -> StepOutcome:
            return self._run_chain_step(step, deadline, stop_on_interrupt)

        return self.containers.around_backup(run) if step == BACKUP_STEP else run()

    def _run_chain_step(self, step: str, deadline: float | None, stop_on_interrupt: bool) -> StepOutcome:
        """Run `step`. A built-in duplicity step that fails says why in one line (`duplicity_errors`);
        a backup that fails on a damaged local cache runs once more with the cache set aside, which
        duplicity rebuilds from the target."""
        self.run.at_step(step)
        command, source = self.commands[step], None
        if self.evidence.reads_statistics(step):  # the built-in backup: SOURCE as it is now, links followed
            source = checked_source(self.task, self.env["SRC"], self.context.state_dir, self._say(step))
            if source is None:
                return StepOutcome(1)  # nothing written: no target to read after the chain either
            self.commands[step] = command = load_step(self.task, self.context, self.new_chain, source)
        self.evidence.step_starts(step)
        if command.notice:
            self.log.event(command.notice, task=self.task.id, step=step, level="warning")
            self.tail.add(self.log.mask(command.notice))
        lines: deque[str] = deque(maxlen=FAILURE_LINES)
        outcome = self._run_step(step, deadline, stop_on_interrupt, lines)
        failure = self._failure(step, outcome, lines)
        if failure is not None and self._rebuild_cache(step, failure, source):
            lines.clear()
            outcome = self._run_step(step, deadline, stop_on_interrupt, lines)
            failure = self._failure(step, outcome, lines)
        if failure is not None:
            self.log.event(failure.line, task=self.task.id, step=step, level="error")
            self.tail.add(self.log.mask(failure.line))
        self.evidence.step_ended(step, outcome, self._warn)
        if outcome.timed_out:
            self.log.event(
                f"timed out after {self.task.timeout:g}s; the step was stopped",
                task=self.task.id,
                step=step,
                level="error",
            )
        return outcome

    def _run_step(
        self, step: str, deadline: float | None, stop_on_interrupt: bool, lines: deque[str]
    ) -> StepOutcome:
        """The step's process, its output logged (a built-in duplicity step's also kept in `lines`)."""
        reads_statistics = self.evidence.reads_statistics(step)
        keeps_lines = self.evidence.runs_duplicity(step)
        interval = self.context.backup_progress_interval
        progress = None
        if reads_statistics and interval > 0:
            progress = BackupFilter(log_reporter(interval, self.log, self.task.id, step))

        def on_line(stream: str, text: str, cut: bool = False) -> None:
            if progress is not None and stream == "stdout" and progress.feed(text):
                return  # a progress line: one log line every CONF_PROGRESS_INTERVAL instead
            if reads_statistics and stream == "stdout":
                self.evidence.statistics.feed(text)
            if keeps_lines:
                lines.append(text)
            self.tail.output(step, stream, text, cut)

        command = self.commands[step]
        return self.run.run(
            command.command, {**self.env, **command.env}, on_line, deadline, stop_on_interrupt
        )

    def _failure(self, step: str, outcome: StepOutcome, lines: deque[str]) -> Failure | None:
        """Why a built-in duplicity step failed; None when it did not, was stopped, or is the task's own."""
        if outcome.exit_code == 0 or outcome.timed_out or outcome.interrupted:
            return None
        return explain(outcome.exit_code, list(lines)) if self.evidence.runs_duplicity(step) else None

    def _rebuild_cache(self, step: str, failure: Failure, source: str | None) -> bool:
        """Set the task's cache aside for the backup to run once more, when the failure may be the
        cache's: with ENCRYPT_KEY, the run's keyring cannot read the target's signatures, so the backup
        runs again as a new full chain (as a run with no cache does)."""
        if (
            step != "load"
            or self.cache_rebuilt
            or not failure.cache_may_be_damaged
            or self.run.cancel.interrupted
        ):
            return False
        self.cache_rebuilt = True
        try:
            message = set_aside_to_retry(self.task, self.context, failure, "backing up")
        except OSError as exc:
            self._warn(step, f"cannot set duplicity's cache aside ({exc}); not backing up once more")
            return False
        self._warn(step, message)
        self.tail.add(self.log.mask(message))
        self.evidence.cache_set_aside()
        if self.task.encrypt_key is not None:
            new_chain = needs_new_chain(self.task, self.context)
            self.commands[step] = load_step(self.task, self.context, new_chain, source)
        return True
