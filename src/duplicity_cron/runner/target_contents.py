"""After each run of a task with TARGET: what the target holds, kept in the state folder
(`state.target`) for `status` and the metrics, so that neither ever waits on the backend.

After a successful built-in `duplicity backup` it is read from duplicity's local cache when that can
stand for the target (`targets.archive_cache`: no second duplicity process); otherwise, and whenever
the cache cannot be read or trusted, from `duplicity collection-status`.

It runs inside the task's lock, after the chain and its hooks and before the run's summary line (with
the run's GNUPGHOME and archive folder), and is bounded: at most the task's TIMEOUT or CONTENTS_TIMEOUT,
whichever is shorter. Whatever goes wrong is a warning: the run's verdict never depends on it, and
`status` keeps showing what was read last, with its time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..log import Log
from ..model import TargetContents, Task
from ..model.target import with_set_bytes
from ..state import target
from ..targets.archive_cache import (
    UntrustedCache,
    is_complete,
    is_metadata,
    manifests,
    options_problem,
    parse_archive_cache,
    volumes_in_manifest,
)
from ..targets.collection_status import NoCollectionStatus, parse_collection_status, warnings_in
from ..targets.duplicity import collection_status_command
from ..views.contents import contents_line
from .context import LockedRun, RunContext

STEP = "contents"
CONTENTS_TIMEOUT = 300.0  # seconds: a backend that hangs delays the next run by at most this much
MAX_LINES = 200_000  # a target of that many sets is far beyond what duplicity handles anyway


@dataclass(frozen=True)
class CacheBefore:
    """The task's cache as a run found it before its built-in backup (`cache_before`)."""

    was_empty: bool  # no duplicity metadata in `<archive>/<id>`
    began: datetime  # when it was looked at: a full at or after it is this run's


def cache_folder(task: Task, context: RunContext) -> Path:
    return Path(context.archive_path(task)) / task.id


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def cache_before(task: Task, context: RunContext) -> CacheBefore | None:
    """Looked at before the built-in backup; None when the cache cannot be used for this task."""
    if options_problem(task.options) is not None:
        return None
    began = datetime.now(UTC)
    try:
        return CacheBefore(not any(map(is_metadata, _names(cache_folder(task, context)))), began)
    except OSError:
        return None


def _manifest_volumes(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as text:
        return volumes_in_manifest(text)


def contents_from_cache(task: Task, context: RunContext, before: CacheBefore) -> TargetContents | str:
    """What the target holds as the cache tells it after a successful `duplicity backup`, or why the
    cache cannot tell it."""
    folder = cache_folder(task, context)
    try:
        names = _names(folder)
        volumes = {name: _manifest_volumes(folder / name) for name in manifests(names)}
        contents = parse_archive_cache(names, volumes, datetime.now(UTC))
    except (OSError, UntrustedCache) as exc:
        return str(exc)
    previous, _problem = target.read(context.state_dir, task.id)
    if not is_complete(contents, cache_was_empty=before.was_empty, previous=previous, run_began=before.began):
        return "it may not hold every chain of the target"
    return contents


def read_target_contents(
    run: LockedRun, cache: CacheBefore | None = None, written: tuple[datetime, int] | None = None
) -> TargetContents | None:
    """Read what the run's TARGET holds and keep it; None (and a warning) when that fails. Called inside
    a run, which ends the gpg-agent of the task's GNUPGHOME after it (`task_run._Run.work`). `cache`:
    the run made a successful `duplicity backup` and nothing after it wrote the target (see
    `backup_evidence`), so the cache is tried first. `written`: that backup's beginning and the bytes
    it wrote, the size of its set (`model.target.with_set_bytes`)."""
    task, context, log = run.task, run.context, run.context.log
    if cache is not None:
        found = contents_from_cache(task, context, cache)
        if isinstance(found, TargetContents):
            return _keep(task, context, found, written, " (from duplicity's local cache)")
        why = f"asking collection-status: duplicity's local cache will not do ({found})"
        log.event(why, task=task.id, step=STEP)
    command = collection_status_command(task, archive=context.archive_path(task))
    stdout: list[str] = []

    def on_line(stream: str, text: str, cut: bool = False) -> None:
        if stream == "stdout":
            if len(stdout) < MAX_LINES:
                stdout.append(text)
        else:  # duplicity's errors: shown as the step's output, masked
            log.output(task.id, STEP, stream, text, cut=cut)

    limit = min(task.timeout or CONTENTS_TIMEOUT, CONTENTS_TIMEOUT)
    # collection-status starts a gpg-agent too (measured): the run ends it with its own, after this.
    env = {**context.env, **command.env, "GNUPGHOME": str(context.gnupg_home(task.id))}
    outcome = run.run(command.shell, env, on_line, time.monotonic() + limit)
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
    return _keep(task, context, contents, written)


def _keep(
    task: Task,
    context: RunContext,
    found: TargetContents,
    written: tuple[datetime, int] | None,
    how: str = "",
) -> TargetContents | None:
    """Keep what was found, with the sizes of its sets known before and the one this run wrote."""
    log = context.log
    previous, _problem = target.read(context.state_dir, task.id)  # unreadable: the sizes start anew
    contents = with_set_bytes(found, previous, written)
    try:
        target.write(context.state_dir, task.id, contents)
    except OSError as exc:
        _failed(task, log, f"cannot keep it in {context.state_dir}: {exc}")
        return None
    log.event(f"the target holds {contents_line(contents)}{how}", task=task.id, step=STEP)
    return contents


def _failed(task: Task, log: Log, why: str) -> None:
    log.event(
        f"cannot read what the target holds ({why}); `status` shows what was read before",
        task=task.id, step=STEP, level="warning",
    )  # fmt: skip
