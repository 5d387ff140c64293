"""When a run may read what the target holds from duplicity's cache (`runner.backup_evidence`): only after
a successful built-in backup that no step followed (the decision alone; no process is started)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from duplicity_cron.log import Log
from duplicity_cron.model import Task
from duplicity_cron.runner.backup_evidence import BackupEvidence
from duplicity_cron.runner.context import RunContext
from duplicity_cron.runner.target_contents import CacheBefore

BEFORE = CacheBefore(was_empty=True, began=datetime(2026, 12, 1, tzinfo=UTC))
CONTEXT = RunContext(Path("/nonexistent"), Path("/nonexistent"), {}, Log(str, UTC))


def run_of(task: Task, steps: list[str], load_code: int = 0) -> BackupEvidence:
    run = BackupEvidence(task, CONTEXT, full_load=False)
    run.cache = BEFORE
    for step in steps:
        run.step_starts(step)
        if run.reads_statistics(step) and load_code == 0:
            run.backup_succeeded = True  # what step_ended records (it also counts SOURCE)
    return run


def test_the_cache_after_a_backup_that_ended_the_run():
    task = Task("home", {}, target="file:///t")
    assert run_of(task, ["load"])._cache_usable() == BEFORE
    assert run_of(task, ["prepare", "load"])._cache_usable() == BEFORE  # a step before it changes nothing


def test_no_cache_after_retention_a_step_of_the_tasks_own_or_a_failed_backup():
    kept = Task("home", {}, target="file:///t", keep_full=2)
    assert run_of(kept, ["load", "retention"])._cache_usable() is None
    hooked = Task("home", {"finally": "true", "succeed": "true"}, target="file:///t")
    assert run_of(hooked, ["load", "succeed"])._cache_usable() is None
    assert run_of(hooked, ["load", "finally"])._cache_usable() is None
    assert run_of(Task("home", {}, target="file:///t"), ["load"], load_code=1)._cache_usable() is None


def test_no_cache_for_a_task_with_its_own_load():
    own = Task("home", {"load": "duplicity backup ..."}, target="file:///t", keep_full=1)
    run = run_of(own, ["load", "retention"])
    assert run.ran == ["retention"] and run._cache_usable() is None


def test_a_full_load_never_looks_at_the_cache():
    run = BackupEvidence(Task("home", {}, target="file:///t"), CONTEXT, full_load=True)
    run.before_chain()
    assert run.cache is None
