"""A run's containers (`CONF_DOCKER_LABELS`): before the task's first step, the containers left stopped
by a runner that died are started again, the engine's labels are read into the task's plan
(`containers.labels`) and its exec-before commands run; its backup step runs with the containers of
`duplicity-cron.stop-during-backup` stopped, started again whatever the step's end; exec-after runs
after the main chain, after a failure too.

The `docker` library is imported, and an engine asked, only when labels are on, or `auto` finds the
library and an engine (see `wanted`), or a dead runner's record names containers to start again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..config.container_labels import EXEC_AFTER, EXEC_BEFORE
from ..containers.engine import ContainerGone, Engine, EngineError, engine_visible, library_installed
from ..containers.labels import (
    Container,
    Exec,
    LabelError,
    TaskPlan,
    plan_for,
    restore_plan_for,
)
from ..model import Status, Task, run_steps
from ..state import stopped_containers
from .chain import SUCCEEDED, ChainResult
from .context import RunContext
from .lock import TaskBusy, task_lock
from .processes.step import StepOutcome

BACKUP_STEP = "load"  # the built-in backup of a task with TARGET, or a task's own LOAD
Say = Callable[[str, str, str], None]  # (step, level, message): a line of the runner's own
Output = Callable[[str, str, str], object]  # (step, stream, text): a line a command printed


def wanted(mode: str, env: Mapping[str, str]) -> bool:
    """`on`, or `auto` with the docker library installed and an engine named or its socket there."""
    if mode != "auto":
        return mode == "on"
    return engine_visible(env) and library_installed()


def connect(env: Mapping[str, str]) -> Engine:
    return Engine(env)


def touched_by_tasks(tasks: Iterable[Task], mode: str, env: Mapping[str, str]) -> dict[str, list[str]] | None:
    """For `list` and `status`: per task, what its runs do to the engine's containers (an error as a
    phrase); None when labels are not read (off, or `auto` without an engine)."""
    if not wanted(mode, env):
        return None
    try:
        found = connect(env).containers()
    except EngineError as exc:
        return {task.id: [f"error: {exc}"] for task in tasks}
    touched = {}
    for task in tasks:
        try:
            plan = plan_for(task.id, BACKUP_STEP in run_steps(task), found)
            stops = {c.name for c in (*plan.stop, *plan.stays_stopped)}
            for_restore = restore_plan_for(task.id, found)
            only = [c.name for c in (*for_restore.stop, *for_restore.stays_stopped) if c.name not in stops]
            restores = [f"stops {', '.join(only)} during a restore"] if only else []
            touched[task.id] = plan.touched() + restores
        except LabelError as exc:
            touched[task.id] = [f"error: {exc}"]
    return touched


class RunContainers:
    """What one run of `task` does to the engine's containers; every method says what it did."""

    def __init__(self, task: Task, context: RunContext, has_backup: bool, say: Say, output: Output) -> None:
        self.task, self.context, self.has_backup = task, context, has_backup
        self.say, self.output = say, output
        self.engine: Engine | None = None
        self.plan = TaskPlan()
        self.step, self.purpose = BACKUP_STEP, "backup"  # the step the containers are stopped around

    def begin(self) -> ChainResult:
        """Containers left stopped started again, the plan read, exec-before run."""
        read = self._read_plan()
        return read if read is not SUCCEEDED else self._execs(EXEC_BEFORE, self.plan.before)

    def begin_restore(self, step: str) -> bool:
        """For a restore that replaces files an application has open (`restore TASK` of SQLite files in
        place): as `begin` without exec-before; `around_backup` then stops the containers of either
        stop label naming the task around `step`. False when that failed (said)."""
        self.step, self.purpose = step, "restore"
        return self._read_plan(restore=True) is SUCCEEDED

    def _read_plan(self, restore: bool = False) -> ChainResult:
        try:
            if not restart_left_stopped(self.task.id, self.context, self.say):
                return ChainResult(Status.FAILED, "containers", 1)
            if not wanted(self.context.docker_labels, self.context.env):
                return SUCCEEDED
            self.engine = connect(self.context.env)
            found = self.engine.containers()
            self.plan = (
                restore_plan_for(self.task.id, found)
                if restore
                else plan_for(self.task.id, self.has_backup, found)
            )
        except (EngineError, LabelError) as exc:
            self.say("containers", "error", f"{exc}; nothing was stopped")
            return ChainResult(Status.FAILED, "containers", 1)
        for phrase in self.plan.touched():
            self.say("containers", "info", f"labelled containers: {phrase}")
        return SUCCEEDED

    def end(self, outcome: ChainResult) -> ChainResult:
        """exec-after, whatever the chain's outcome; a failing one fails a run that had succeeded."""
        after = self._execs(EXEC_AFTER, self.plan.after)
        return after if outcome.status is Status.SUCCEEDED else outcome

    def around_backup(self, step: Callable[[], StepOutcome]) -> StepOutcome:
        """`step` with the plan's containers stopped, each started again after it whatever happens."""
        if self.engine is None or not self.plan.stop:
            return step()
        stopped: list[Container] = []
        began = time.monotonic()
        try:
            outcome = self._stop_then(step, stopped)
        finally:
            restarted = self._start_again(stopped, time.monotonic() - began)
        return outcome if restarted or outcome.exit_code else StepOutcome(1)

    def _stop_then(self, step: Callable[[], StepOutcome], stopped: list[Container]) -> StepOutcome:
        assert self.engine is not None
        record = stopped_containers.new(
            self.task.id, datetime.now(UTC), tuple((c.id, c.name) for c in self.plan.stop)
        )
        try:
            stopped_containers.write(self.context.state_dir, record)
        except OSError as exc:
            where = self.context.state_dir
            self.say(self.step, "error", f"cannot record the containers to stop in {where} ({exc}); "
                     f"none was stopped, the {self.purpose} did not run")  # fmt: skip
            return StepOutcome(1)
        try:
            for container in self.plan.stop:
                if self.engine.state(container) != "running":
                    self.say(self.step, "info", f"container {container.name} stopped meanwhile; left so")
                    continue
                stopped.append(container)  # before: a stop that fails half-way is started again too
                self.engine.stop(container)
        except ContainerGone as exc:
            self.say(self.step, "error", f"{exc}; the {self.purpose} did not run")
            return StepOutcome(1)
        except EngineError as exc:
            self.say(self.step, "error", f"{exc}; the {self.purpose} did not run")
            return StepOutcome(1)
        if stopped:
            self.say(self.step, "info", f"stopped container(s) {_names(stopped)} for the {self.purpose}")
        return step()

    def _start_again(self, stopped: list[Container], seconds: float) -> bool:
        """Start `stopped` in reverse order; the record goes once every one is running (or gone)."""
        assert self.engine is not None
        result = start_all(self.engine, reversed(stopped), lambda lvl, text: self.say(self.step, lvl, text))
        if not result.refused:
            with contextlib.suppress(OSError):
                stopped_containers.clear(self.context.state_dir, self.task.id)
        if result.started:
            self.say(self.step, "info", f"started container(s) {_names(result.started)} again; they were "
                     f"stopped for {seconds:.1f}s")  # fmt: skip
        return result.all

    def _execs(self, kind: str, execs: Iterable[Exec]) -> ChainResult:
        for item in execs:
            step = f"{kind}:{item.container.name}"

            def output(stream: str, text: str, step: str = step) -> None:
                self.output(step, stream, text)

            try:
                assert self.engine is not None
                code = self.engine.exec(item.container, item.command, output)
            except EngineError as exc:
                self.say(step, "error", f"{kind}: {exc}")
                return ChainResult(Status.FAILED, kind, 1)
            if code != 0:
                self.say(step, "error", f"{kind} in container {item.container.name} exited with code {code}")
                return ChainResult(Status.FAILED, kind, code)
        return SUCCEEDED


@dataclass
class Started:
    """What starting the containers again came to."""

    started: list[Container] = field(default_factory=list)
    gone: list[Container] = field(default_factory=list)  # removed meanwhile: nothing to start
    refused: list[Container] = field(default_factory=list)  # still stopped: kept in the record

    @property
    def all(self) -> bool:
        return not (self.gone or self.refused)


def start_all(engine: Engine, containers: Iterable[Container], say: Callable[[str, str], None]) -> Started:
    """Start each, in order; each failure told in one line."""
    result = Started()
    for container in containers:
        try:
            engine.start(container)
            result.started.append(container)
        except ContainerGone as exc:
            say("error", f"{exc}; it cannot be started again")
            result.gone.append(container)
        except EngineError as exc:
            say("error", f"{exc}; it stays stopped: start it by hand")
            result.refused.append(container)
    return result


def restart_left_stopped(task: str, context: RunContext, say: Say) -> bool:
    """Held under the task's lock: start the containers a dead runner left stopped for `task`'s backup.
    False when they could not all be started (the record is kept, for the next try)."""
    state_dir = Path(context.state_dir)
    try:
        record = stopped_containers.read(state_dir, task)
    except ValueError as exc:
        say("containers", "error", f"{exc}; start the containers it names by hand, then remove it")
        return False
    if record is None:
        return True
    containers = [Container(cid, name, "exited") for cid, name in reversed(record.containers)]
    when = record.stopped.isoformat(timespec="seconds")
    try:
        result = start_all(connect(context.env), containers, lambda lvl, text: say("containers", lvl, text))
    except EngineError as exc:
        say("containers", "error", f"{exc}; containers {_names(containers)} stopped at {when} stay stopped")
        return False
    if result.started:
        say("containers", "warning", f"started container(s) {_names(result.started)} again: the runner "
            f"(pid {record.pid}) that stopped them for the backup at {when} died first")  # fmt: skip
    if result.refused:
        return False
    stopped_containers.clear(state_dir, task)
    return True


def recover_stopped_containers(tasks: Iterable[Task], context: RunContext) -> None:
    """At the start of the daemon and of `exec`: restart what dead runners left stopped, for every task
    that nothing runs now (a task whose lock is held is seen to by its next run)."""
    state_dir = Path(context.state_dir)
    for task in tasks:
        if not stopped_containers.path(state_dir, task.id).exists():
            continue
        with contextlib.suppress(TaskBusy, OSError), task_lock(context.task_folder(task.id)):

            def say(step: str, level: str, message: str, task_id: str = task.id) -> None:
                context.log.event(message, task=task_id, step=step, level=level)

            restart_left_stopped(task.id, context, say)


def _names(containers: Iterable[Container]) -> str:
    return ", ".join(container.name for container in containers)
