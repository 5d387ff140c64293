"""The `duplicity-cron.*` labels of an engine's containers, read into what a run of one task does to
them: which containers it stops during its backup step (in which order), and the commands it runs in
them before its first step and after its last; and what `restore TASK` stops while it puts files back
in place (SQLite's): the containers of either stop label.

    duplicity-cron.stop-during-backup=<task>[,<task>...]
    duplicity-cron.stop-during-restore=<task>[,<task>...]
    duplicity-cron.<task>.exec-before=<command>
    duplicity-cron.<task>.exec-after=<command>

Pure: the containers are values (`Container`), listed by `containers.engine`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..config.container_labels import (
    EXEC_AFTER,
    EXEC_BEFORE,
    PREFIX,
    STOP_LABEL,
    STOP_LABELS,
    STOP_RESTORE_LABEL,
)

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # as TASK_<id>_* (config.tasks)
# The engine's states of a container: running ones are stopped for the backup and started again,
# stopped ones stay stopped; any other (paused, restarting, removing, dead...) is an error.
RUNNING = frozenset({"running"})
STOPPED = frozenset({"created", "exited", "stopped", "configured", "initialized"})
# compose's labels: a service's project, its name, and the services it depends on
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_DEPENDS_ON = "com.docker.compose.depends_on"


class LabelError(ValueError):
    """A label this runner cannot act on, or a container in a state it cannot handle: one line."""


@dataclass(frozen=True)
class Container:
    """A container as the engine lists it."""

    id: str
    name: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exec:
    """A command to run in a container: `sh -c command`."""

    container: Container
    command: str


@dataclass(frozen=True)
class TaskPlan:
    """What a run of one task does to the engine's containers."""

    stop: tuple[Container, ...] = ()  # running ones, in the order to stop them (start: reversed)
    stays_stopped: tuple[Container, ...] = ()  # labelled, but already stopped: left alone
    before: tuple[Exec, ...] = ()
    after: tuple[Exec, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.stop or self.stays_stopped or self.before or self.after)

    def touched(self) -> list[str]:
        """One short phrase per kind of action, for `list` and `status`."""
        parts = []
        if self.stop or self.stays_stopped:
            parts.append("stops " + ", ".join(c.name for c in (*self.stop, *self.stays_stopped)))
        for word, execs in ((EXEC_BEFORE, self.before), (EXEC_AFTER, self.after)):
            if execs:
                parts.append(f"{word} in " + ", ".join(e.container.name for e in execs))
        return parts


def stop_tasks(container: Container, label: str = STOP_LABEL) -> list[str]:
    """The tasks named by the container's stop label `label`; LabelError when malformed."""
    value = container.labels.get(label)
    if value is None:
        return []
    names = [name.strip() for name in value.split(",")]
    bad = [name for name in names if not _TASK_ID.fullmatch(name)]
    if bad:
        raise LabelError(
            f"container {container.name}: label {label}={value!r} is not a comma-separated list of "
            f"task ids; write e.g. {label}=app,db"
        )
    return names


def exec_commands(container: Container, task: str) -> dict[str, str]:
    """The container's exec-before/exec-after commands for `task`; LabelError for an unknown or
    empty `duplicity-cron.<task>.*` label."""
    commands = {}
    prefix = f"{PREFIX}{task}."
    for key, value in container.labels.items():
        if not key.startswith(prefix):
            continue
        kind = key[len(prefix) :]
        if kind not in (EXEC_BEFORE, EXEC_AFTER):
            raise LabelError(
                f"container {container.name}: unknown label {key}; known: {prefix}{EXEC_BEFORE}, "
                f"{prefix}{EXEC_AFTER}, {STOP_LABEL}, {STOP_RESTORE_LABEL}"
            )
        if not value.strip():
            raise LabelError(f"container {container.name}: label {key} is empty; give it a command")
        commands[kind] = value
    return commands


def refuse_unknown_labels(container: Container) -> None:
    """LabelError for a `duplicity-cron.*` label that names no task and is no stop label: no runner
    reads it (a misspelt stop label). A task's unknown label is `exec_commands`' error, for that task's
    runner."""
    for key in container.labels:
        if key.startswith(PREFIX) and key not in STOP_LABELS and "." not in key[len(PREFIX) :]:
            raise LabelError(
                f"container {container.name}: unknown label {key}; known: {STOP_LABEL}, "
                f"{STOP_RESTORE_LABEL}, {PREFIX}<task>.{EXEC_BEFORE}, {PREFIX}<task>.{EXEC_AFTER}"
            )


def plan_for(task: str, has_backup: bool, containers: Iterable[Container]) -> TaskPlan:
    """What a run of `task` does to `containers`; LabelError for a label or state it cannot act on.
    A container whose labels do not name `task` is left alone (another task's, or another runner's)."""
    stop: list[Container] = []
    stays: list[Container] = []
    before: list[Exec] = []
    after: list[Exec] = []
    for container in sorted(containers, key=lambda c: c.name):
        refuse_unknown_labels(container)
        commands = exec_commands(container, task)
        stops = task in stop_tasks(container)
        if not (stops or commands):
            continue
        _check_state(container, stops, commands)
        if stops and not has_backup:
            raise LabelError(
                f"container {container.name}: {STOP_LABEL} names task {task}, which has no backup step "
                "(TARGET or LOAD); remove the task from the label"
            )
        if stops:
            (stop if container.state in RUNNING else stays).append(container)
        if EXEC_BEFORE in commands:
            before.append(Exec(container, commands[EXEC_BEFORE]))
        if EXEC_AFTER in commands:
            after.append(Exec(container, commands[EXEC_AFTER]))
    return TaskPlan(tuple(stop_order(stop)), tuple(stays), tuple(before), tuple(after))


def restore_plan_for(task: str, containers: Iterable[Container]) -> TaskPlan:
    """What `restore TASK` putting files back in place stops: the running containers whose
    stop-during-backup or stop-during-restore label names `task` (no exec); LabelError as `plan_for`."""
    stop: list[Container] = []
    stays: list[Container] = []
    for container in sorted(containers, key=lambda c: c.name):
        refuse_unknown_labels(container)
        if not any(task in stop_tasks(container, label) for label in STOP_LABELS):
            continue
        _check_state(container, True, {})
        (stop if container.state in RUNNING else stays).append(container)
    return TaskPlan(tuple(stop_order(stop)), tuple(stays))


def _check_state(container: Container, stops: bool, commands: Mapping[str, str]) -> None:
    if container.state in RUNNING or (container.state in STOPPED and not commands):
        return
    if container.state in STOPPED:
        raise LabelError(
            f"container {container.name} is {container.state}: its exec labels need it running; start it "
            "or remove them"
        )
    raise LabelError(
        f"container {container.name} is {container.state or 'in an unknown state'}; duplicity-cron acts "
        "only on running or stopped containers: let it settle (unpause it, wait for its restart), run again"
    )


def stop_order(containers: Iterable[Container]) -> list[Container]:
    """Dependents first: a compose service is stopped before the services it depends on (its
    `com.docker.compose.depends_on` label, within its project), and started after them. Otherwise,
    and within a cycle, by name."""
    remaining = sorted(containers, key=lambda c: c.name)
    by_service = {_service(c): c for c in remaining if _service(c) is not None}
    needed_by: dict[str, set[str]] = {c.id: set() for c in remaining}  # who depends on each container
    for container in remaining:
        for dependency in _depends_on(container):
            target = by_service.get((container.labels.get(COMPOSE_PROJECT, ""), dependency))
            if target is not None and target.id != container.id:
                needed_by[target.id].add(container.id)
    ordered: list[Container] = []
    while remaining:
        done = {c.id for c in ordered}
        ready = [c for c in remaining if needed_by[c.id] <= done] or remaining[:1]  # a cycle: by name
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered


def _service(container: Container) -> tuple[str, str] | None:
    service = container.labels.get(COMPOSE_SERVICE)
    return (container.labels.get(COMPOSE_PROJECT, ""), service) if service else None


def _depends_on(container: Container) -> list[str]:
    """`db:service_started:false,cache:service_healthy:true` (compose v2) -> [db, cache]."""
    value = container.labels.get(COMPOSE_DEPENDS_ON, "")
    return [part.split(":", 1)[0].strip() for part in value.split(",") if part.strip()]
