"""A drill, `verify TASK`: proves the latest backup of a task with TARGET can be restored. A run of the
task like any other (`task_run.run_locked`: its lock, so a drill and a backup never run at once, the
in-progress record, the observers), with trigger `verify` and three steps:

1. `restore`: duplicity restores the latest backup into `<work>/<id>/verify` (emptied before, removed
   after): every volume downloaded, decrypted, and checked against the manifest's hash;
2. `verify`: `duplicity verify --compare-data` of the backup against that restore, which reads and
   compares every volume's content again;
3. `compare`: the restore's entries and file bytes against what the latest backup run recorded
   (`targets.verification` has the rule, and what it does when nothing was recorded);
4. `databases`, for a task whose EXTRACT is the built-in dump: `databases.restore` loads the restored
   dump into scratch databases (on DATABASE_URL's server, or VERIFY_URL's), compares every table's row
   count with the dump's manifest, runs VERIFY_SQL's statements on them (each must return a true
   value), and drops them.

The recovery time, how long the data took to come back (the restore, and the load of the dump into
the scratch databases), is recorded in the run's result; with VERIFY_MAX_TIME, a drill slower than
that fails (step `recovery`), after its other checks.

A failure ends the drill with one line naming the check, expected and found, as the last line of its
output (and of its history record, notification and ping body).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..config.durations import format_precise
from ..databases import password_for
from ..databases.steps import EXIT_FAILED, RestoreDumpRequest, loaded_seconds, restore_shell
from ..model import EXIT_TERMINATED, RunResult, Status, Task, Trigger, dumps_databases
from ..state import history
from ..state.deployment import deployment_id
from ..state.files import Damaged
from ..targets.duplicity import Command, restore_command, verify_command
from ..targets.duplicity_errors import explain
from ..targets.verification import (
    check_counts,
    latest_backup,
    only_ownership_differs,
    restore_problem,
    verify_problem,
)
from .chain import SUCCEEDED, ChainResult
from .context import LockedRun, RunContext
from .damaged_cache import set_aside_to_retry
from .folders import empty_dir
from .keyring import KeyringError, end_gpg_agent, prepare_keyring
from .locked_run import OutputTail, RunWork, run_locked
from .processes.cancel import Cancel, given_or_own
from .processes.step import StepOutcome
from .progress import restore_lines
from .tree_size import measure

SCRATCH_FOLDER = "verify"  # <work>/<id>/verify
EXIT_COMPARE = 1  # the counts differ: no process failed, the drill did
# (duplicity's exit code, its lines) -> the reason the drill failed
Problem = Callable[[int, Sequence[str]], str]


def scratch_folder(context: RunContext, task_id: str) -> Path:
    return context.task_folder(task_id) / SCRATCH_FOLDER


def verify_backup(task: Task, context: RunContext, cancel: Cancel | None = None) -> RunResult:
    """Run a drill of `task` (it must have TARGET) and return its result. Never raises for a failure.
    Its restore logs a progress line every `context.progress_interval` seconds (0: none), or draws a
    live bar on `context.terminal`."""
    if task.target is None:
        raise ValueError(f"task {task.id} has no TARGET")
    with given_or_own(cancel) as drill_cancel:
        return run_locked(task, context, Trigger.VERIFY, drill_cancel, lambda run: _Drill(run).work())


class _Drill:
    def __init__(self, run: LockedRun) -> None:
        self.run = run
        self.task = run.task
        self.context = run.context
        self.log = run.context.log
        self.tail = OutputTail(self.log, self.task.id)
        self.gnupg = self.context.gnupg_home(self.task.id)
        self.keyring: dict[str, str] = {"GNUPGHOME": str(self.gnupg)}  # and PASSPHRASE, see prepare_keyring
        self.scratch = scratch_folder(self.context, self.task.id)
        self.archive = self.context.archive_path(self.task)
        # TIMEOUT, else CONF_RESTORE_TIMEOUT: a drill is always bounded (duplicity hangs on a full disk)
        self.limit = self.task.timeout or self.context.restore_timeout
        self.deadline = time.monotonic() + self.limit
        self.restored: float | None = None  # seconds the restore took
        self.loaded: float | None = None  # seconds the dump took to load into the scratch databases

    @property
    def recovery(self) -> float | None:
        """The recovery time: the restore, and the load of a dump; None when the data did not come back."""
        if self.restored is None or (dumps_databases(self.task) and self.loaded is None):
            return None
        return self.restored + (self.loaded or 0.0)

    def work(self) -> RunWork:
        try:
            outcome = self._checks()
        finally:
            end_gpg_agent(self.gnupg)
            shutil.rmtree(self.scratch, ignore_errors=True)
            if self.task.private_key is not None:
                with contextlib.suppress(OSError):
                    empty_dir(self.gnupg)  # the private key imported into it does not stay on disk
        return RunWork(outcome, tuple(self.tail.lines), recovery_seconds=self.recovery)

    def _checks(self) -> ChainResult:
        # Under the lock: no backup of the task runs now, so its newest record is the target's latest.
        backup = latest_backup(reversed(history.load_runs(self.context.state_dir, self.task.id)))
        try:
            self._prepare_gnupg_home()
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch.mkdir(parents=True)
        except OSError as exc:
            return self._failed("setup", 1, f"cannot prepare the drill's folders: {exc}")
        except KeyringError as exc:
            return self._failed("setup", 1, f"cannot prepare the keyring: {exc}")
        as_root = os.geteuid() == 0
        restore = restore_command(self.task, destination=str(self.scratch), archive=self.archive,
                                  as_root=as_root, progress=self.context.progress_interval > 0)  # fmt: skip
        began = time.monotonic()
        outcome = self._duplicity("restore", restore, restore_problem)
        if outcome is not SUCCEEDED:
            return outcome
        self.restored = time.monotonic() - began
        verify = verify_command(self.task, local=str(self.scratch), archive=self.archive)
        # Any user but root restores no ownership (see `restore_command`): owners alone may differ.
        outcome = self._duplicity(
            "verify", verify, verify_problem, None if as_root else only_ownership_differs
        )
        if outcome is not SUCCEEDED:
            return outcome
        self.run.at_step("compare")
        try:
            counted = check_counts(backup, measure(self.scratch))
        except OSError as exc:
            return self._failed("compare", EXIT_COMPARE, f"cannot count the restore: {exc}")
        if counted.problem is not None:
            return self._failed("compare", EXIT_COMPARE, counted.problem)
        note = counted.note
        if dumps_databases(self.task):
            outcome = self._databases()
            if outcome is not SUCCEEDED:
                return outcome
            note += "; the dump loaded into scratch databases, every table's rows as its manifest counted"
            if self.task.verify_sql:
                note += f", every VERIFY_SQL statement ({len(self.task.verify_sql)}) true"
        recovery = self._recovery_line()
        limit = self.task.verify_max_time
        if limit is not None and self.recovery is not None and self.recovery > limit:
            return self._failed(
                "recovery", EXIT_COMPARE, f"{recovery}, over VERIFY_MAX_TIME {format_precise(limit)}"
            )
        self._said(f"verified: the latest backup was restored and checked; {note}; {recovery}")
        return SUCCEEDED

    def _recovery_line(self) -> str:
        """How long the data took to come back, and its parts."""
        assert self.recovery is not None and self.restored is not None
        parts = f"the restore {format_precise(self.restored)}"
        if self.loaded is not None:
            parts += f", the load into scratch databases {format_precise(self.loaded)}"
        return f"the data came back in {format_precise(self.recovery)} ({parts})"

    def _databases(self) -> ChainResult:
        """Step `databases`: `databases.restore` loads the restored dump into scratch databases, counts
        and drops them. A drill stopped meanwhile drops them in a step of its own, which a shutdown
        does not stop (its hard deadline does)."""
        assert self.task.database_url is not None
        url, password = self.task.database_url, self.task.server_password
        if self.task.verify_url is not None:
            url = self.task.verify_url
            password = password_for(url, password, self.context.env)
        try:  # the scratch databases are marked as this deployment's: the id kept in the state folder
            deployment = deployment_id(self.context.state_dir)
        except (OSError, Damaged) as exc:
            return self._failed("databases", 1, f"cannot keep the deployment's id: {exc}")
        request = RestoreDumpRequest(
            "drill", url, password, self.scratch, task=self.task.id, deployment=deployment,
            checks=self.task.verify_sql, jobs=self.context.restore_jobs,
        )  # fmt: skip
        lines: list[str] = []
        outcome = self._step("databases", restore_shell(), request.to_env(), lines)
        self.loaded = loaded_seconds(lines)
        if outcome.timed_out or outcome.interrupted or outcome.exit_code not in (0, EXIT_FAILED):
            cleanup = RestoreDumpRequest(
                "cleanup", url, password, self.scratch, task=self.task.id, deployment=deployment
            )
            self._step("databases", restore_shell(), cleanup.to_env(), [], stop_on_interrupt=False)
        if outcome.exit_code == 0 and not outcome.interrupted:
            return SUCCEEDED
        errors = [line.split("error: ", 1)[1] for line in lines if "error: " in line]
        return self._outcome("databases", outcome, errors[-1] if errors else "loading the dump failed")

    def _prepare_gnupg_home(self) -> None:
        """The drill's GNUPGHOME, as a restore's: with ENCRYPT_KEY, the private key imported too (a drill
        decrypts), from PRIVATE_KEY; KeyringError without it."""
        self.keyring = prepare_keyring(self.task, self.gnupg, self.context.env, secret=True)

    def _duplicity(
        self,
        step: str,
        command: Command,
        problem: Callable[[int, list[str]], str],
        tolerated: Callable[[list[str]], bool] | None = None,
    ) -> ChainResult:
        """One duplicity command as step `step`; a failure ends the drill with `problem`'s reason, but
        exit code 1 with lines that `tolerated` accepts (differences the drill cannot avoid). A restore
        that fails on what may be a damaged local cache runs once more with the cache set aside (duplicity
        rebuilds it from the target), as `restore TASK` does."""
        self.run.at_step(step)
        lines: list[str] = []
        outcome = self._step(step, command.shell, {**command.env, **self.keyring}, lines)
        finished = not (outcome.timed_out or outcome.interrupted)
        if step == "restore" and finished and outcome.exit_code != 0 and self._rebuild_cache(outcome, lines):
            lines = []
            outcome = self._step(step, command.shell, {**command.env, **self.keyring}, lines)
            finished = not (outcome.timed_out or outcome.interrupted)
        if finished and outcome.exit_code == 1 and tolerated is not None and tolerated(lines):
            self._warn(step, "only owners and groups differ: a restore by a user but root cannot set them")
            return SUCCEEDED
        return self._outcome(step, outcome, problem(outcome.exit_code, lines))

    def _rebuild_cache(self, outcome: StepOutcome, lines: list[str]) -> bool:
        """Set the task's cache aside for the restore to run once more, when its failure may be the
        cache's; the scratch folder emptied for it."""
        failure = explain(outcome.exit_code, lines)
        if not failure.cache_may_be_damaged or self.run.cancel.interrupted:
            return False
        try:
            notice = set_aside_to_retry(self.task, self.context, failure, "restoring")
            empty_dir(self.scratch)
        except OSError as exc:
            self._warn("restore", f"cannot set duplicity's cache aside ({exc}); not restoring once more")
            return False
        self._warn("restore", notice)
        return True

    def _step(
        self, step: str, shell: str, env: Mapping[str, str], lines: list[str], stop_on_interrupt: bool = True
    ) -> StepOutcome:
        """`shell` as step `step`, its lines logged and kept in `lines`. A restore with duplicity's
        machine-readable log on stdout (`restore_command(progress=True)`) gives progress lines."""
        self.run.at_step(step)

        def show(stream: str, text: str, cut: bool = False) -> None:
            lines.append(self.tail.output(step, stream, text, cut))

        context, deadline = self.context, self.deadline if stop_on_interrupt else None
        machine_log = " --log-fd " in shell
        with restore_lines(show, machine_log, context.progress_interval, self.log, self.task.id, step,
                           context.terminal) as on_line:  # fmt: skip
            return self.run.run(shell, {**context.env, **env}, on_line, deadline, stop_on_interrupt)

    def _outcome(self, step: str, outcome: StepOutcome, reason: str) -> ChainResult:
        """SUCCEEDED, or the drill's end: timed out, interrupted, or failed for `reason`."""
        if outcome.timed_out:
            code = outcome.exit_code or EXIT_TERMINATED
            return self._failed(step, code, f"timed out after {self.limit:g}s", Status.TIMED_OUT)
        if outcome.interrupted:
            return self._failed(step, outcome.exit_code or EXIT_TERMINATED, "interrupted", Status.INTERRUPTED)
        if outcome.exit_code != 0:
            return self._failed(step, outcome.exit_code, reason)
        return SUCCEEDED

    def _warn(self, step: str, line: str) -> None:
        self.log.event(line, task=self.task.id, step=step, level="warning")
        self.tail.add(line)

    def _failed(self, step: str, code: int, reason: str, status: Status = Status.FAILED) -> ChainResult:
        self._said(f"verify failed: {reason}", level="error")
        return ChainResult(status, step, code)

    def _said(self, line: str, level: str = "info") -> None:
        """The drill's verdict: logged, and the last line of its output tail."""
        self.log.event(line, task=self.task.id, level=level)
        self.tail.add(self.log.mask(line))
