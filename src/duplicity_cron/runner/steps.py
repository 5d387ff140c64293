"""The steps of a run of a task: its own, and the built-in ones in their places. Which built-in steps
a run has is `model.builtin_steps`' to say; this module gives each its command and environment.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..databases.steps import DumpRequest, dump_shell
from ..model import RETENTION_STEP, Task, builtin_steps
from ..targets.duplicity import Step, backup_step, retention_step
from .context import RunContext


def has_cached_chain(task: Task, context: RunContext) -> bool:
    """Whether duplicity's cache for the task (`<archive>/<id>`) holds a full backup's manifest: the
    start of a chain an incremental can follow without reading the target's signatures."""
    folder = Path(context.archive_path(task)) / task.id
    try:
        return any(entry.name.startswith("duplicity-full.") for entry in folder.iterdir())
    except OSError:
        return False


def needs_new_chain(task: Task, context: RunContext) -> bool:
    """With ENCRYPT_KEY and no chain in the cache, the built-in backup is a new full chain (the run's
    keyring has no private key to read the target's signatures with)."""
    return task.encrypt_key is not None and not has_cached_chain(task, context)


def run_steps_of(task: Task, context: RunContext, new_chain: bool) -> dict[str, Step]:
    """Every step of a run of `task`: its own (with nothing added to their environment) and the
    built-in ones, the duplicity ones with the run's private GNUPGHOME.

    With `new_chain` (`needs_new_chain`) the built-in backup is `duplicity full`, and says why.
    """
    steps = {name: Step(command, {}) for name, command in task.steps.items()}
    archive = context.archive_path(task)
    gnupg = {"GNUPGHOME": str(context.gnupg_home(task.id))}
    for name in builtin_steps(task):
        if name == "extract":
            steps[name] = dump_step(task)
            continue
        if name == RETENTION_STEP:
            step = retention_step(task, archive=archive)
            steps[name] = Step(step.command, {**step.env, **gnupg}, step.notice)
        else:
            steps[name] = load_step(task, context, new_chain)
    return steps


def load_step(task: Task, context: RunContext, new_chain: bool, source: str | None = None) -> Step:
    """The built-in backup of `source` (SOURCE as `runner.source_guard` resolved it; default SOURCE as
    written, else the run's $SRC), with the run's private GNUPGHOME."""
    src = str(context.task_folder(task.id) / "src")
    step = backup_step(
        replace(task, source=source) if source else task,
        src=src,
        archive=context.archive_path(task),
        new_chain=new_chain,
        progress_interval=context.backup_progress_interval,
    )
    return Step(step.command, {**step.env, "GNUPGHOME": str(context.gnupg_home(task.id))}, step.notice)


def dump_step(task: Task) -> Step:
    """The built-in EXTRACT: `databases.dump` run by this Python, told what to dump in its environment
    (the URL and the password never in a command line)."""
    return Step(dump_shell(), DumpRequest.for_task(task).to_env())
