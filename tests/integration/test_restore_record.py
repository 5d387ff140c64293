"""`restore TASK` records its recovery time in the state folder (real duplicity and gpg): `status`
and `status --json` show the last restore, the metrics export it, a failed restore is recorded as
failed with no time, and a refusal (nothing restored) records nothing; NOTIFY_ON says which restores
are notified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duplicity_cron.monitoring.prometheus import Metrics

from .backups import places
from .http_recorder import Recorder
from .test_backups import two_backups  # noqa: F401 - the module's fixture, shared

pytestmark = pytest.mark.slow


def last_restore(cli, env) -> dict | None:
    shown = cli("status", "--json", "home", env=env)
    assert shown.returncode == 0, shown.output
    return json.loads(shown.stdout)["tasks"][0]["last_restore"]


def test_a_restore_records_its_recovery_time(cli, two_backups, tmp_path, work_dir):  # noqa: F811
    _where, env, *_ = two_backups
    assert last_restore(cli, env) is None
    restored = cli("restore", "home", "--to", str(tmp_path / "r"), env=env, timeout=300)
    assert restored.returncode == 0, restored.output
    assert "the data came back in " in restored.stdout
    record = last_restore(cli, env)
    assert record is not None and record["status"] == "succeeded"
    assert record["recovery_seconds"] > 0
    details = cli("status", "home", env=env)
    assert "last restore (restore home): succeeded " in details.stdout, details.output
    metrics = Metrics()
    metrics.refresh(work_dir.parent / "state", ["home"])
    exported = metrics.registry.get_sample_value("duplicity_cron_last_restore_task_seconds", {"task": "home"})
    assert exported == pytest.approx(record["recovery_seconds"])

    refused = cli("restore", "home", "--time", "2001-01-01", env=env, timeout=300)
    assert refused.returncode == 2, refused.output
    assert last_restore(cli, env) == record  # nothing restored: no restore to record


def test_a_failed_restore_is_recorded_without_a_time(cli, tmp_path):
    where = places(tmp_path)
    where.target.mkdir()
    env = {"PASSPHRASE": "x" * 20, "XDG_CACHE_HOME": str(where.cache), "TASK_home_TARGET": where.url}
    failed = cli("restore", "home", env=env, timeout=300)
    assert failed.returncode == 1, failed.output
    record = last_restore(cli, env)
    assert record is not None and record["status"] == "failed" and record["recovery_seconds"] is None
    assert Path(tmp_path / "state" / "restores" / "home.json").stat().st_mode & 0o077 == 0


def test_restores_are_notified_as_notify_on_says(cli, two_backups, tmp_path):  # noqa: F811
    _where, env, *_ = two_backups
    recorder = Recorder()
    try:
        notify = {**env, "CONF_NOTIFY_URLS": f"json://127.0.0.1:{recorder.port}/notify"}
        restored = cli("restore", "home", "--to", str(tmp_path / "quiet"), env=notify, timeout=300)
        assert restored.returncode == 0, restored.output
        assert recorder.paths("POST") == []  # NOTIFY_ON=failure: a restore that worked is not told

        canary = "folder-S3cret-c4nary"  # a secret's value in the folder's name: masked as in the log
        always = {**notify, "CONF_NOTIFY_ON": "always", "APP_PASSWORD": canary}
        restored = cli("restore", "home", "--to", str(tmp_path / canary), env=always, timeout=300)
        assert restored.returncode == 0, restored.output
        [told] = [json.loads(r.body) for r in recorder.requests]
        assert told["type"] == "success" and "restore of backup task home: succeeded" in told["title"]
        assert f"Into: {tmp_path / '***'}" in told["message"] and canary not in json.dumps(told)
        assert "Recovery time (the data back): " in told["message"]

        refused = cli("restore", "home", "--time", "2001-01-01", env=always, timeout=300)
        assert refused.returncode == 2, refused.output
        assert len(recorder.requests) == 1  # a refusal restored nothing: nothing to tell
    finally:
        recorder.close()


def test_a_failed_restore_is_notified_with_its_reason(cli, tmp_path):
    where = places(tmp_path)
    where.target.mkdir()
    recorder = Recorder()
    try:
        env = {
            "PASSPHRASE": "x" * 20,
            "XDG_CACHE_HOME": str(where.cache),
            "TASK_home_TARGET": where.url,
            "CONF_NOTIFY_URLS": f"json://127.0.0.1:{recorder.port}/notify",
        }
        failed = cli("restore", "home", env=env, timeout=300)
        assert failed.returncode == 1, failed.output
        [told] = [json.loads(r.body) for r in recorder.requests]
        assert told["type"] == "failure" and "restore of backup task home: failed" in told["title"]
        assert "Why: " in told["message"] and "Recovery time" not in told["message"]
        assert "x" * 20 not in json.dumps(told)
    finally:
        recorder.close()
