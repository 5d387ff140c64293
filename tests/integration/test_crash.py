"""A runner killed with SIGKILL mid-run: its step's processes keep the task locked, so a restarted
daemon or an `exec` never runs the task under them; the killed run is recorded as lost; a second daemon
on the same state folder is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from .conftest import COMMAND, base_env, processes_with, wait_until

LINES = 10


def dump_task(tmp_path: Path) -> dict[str, str]:
    """Each run writes a dump of LINES lines tagged with its own pid, slowly, then "backs it up" by
    copying it. A backup made of two runs' dumps has lines of two pids."""
    marks, results = tmp_path / "marks", tmp_path / "results"
    marks.mkdir()
    results.mkdir()
    return {
        "TASK_dump_CRONTAB": "* * * * * *",
        "TASK_dump_EXTRACT": (
            f'touch "{marks}/extract-$$"; '
            f'for i in $(seq {LINES}); do echo "$$ $i" >> "$SRC/dump"; sleep 0.5; done'
        ),
        "TASK_dump_LOAD": f'cp "$SRC/dump" "{results}/$(date +%s%N).dump"',
    }


def history(work_dir: Path, task: str) -> list[dict[str, object]]:
    folder = work_dir.parent / "state" / "runs" / task
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def killed_exec(tmp_path: Path, work_dir: Path) -> dict[str, str]:
    """`exec nightly` killed with SIGKILL while its step (`sleep 600`, left running, holding the task's
    lock) goes on; the task's variables."""
    marker = tmp_path / "started"
    env = {"TASK_nightly_CRONTAB": "0 3 * * *", "TASK_nightly_LOAD": f"touch {marker}; exec sleep 600"}
    killed = subprocess.Popen(
        [COMMAND, "exec", "nightly"], env=base_env(work_dir, env), stdout=subprocess.DEVNULL
    )
    wait_until(marker.exists, what="the exec's step started")
    killed.kill()
    killed.wait()
    return env


def test_a_restarted_daemon_never_runs_the_task_under_the_killed_runs_step(daemon, tmp_path, work_dir):
    env = dump_task(tmp_path)
    first = daemon(env)
    wait_until(lambda: any((tmp_path / "marks").iterdir()), what="the first extract started")
    first.proc.kill()  # SIGKILL: no hook, no record, the step's processes stay
    first.proc.wait()
    [old_extract] = [int(p.name.split("-")[1]) for p in (tmp_path / "marks").iterdir()]
    assert os.path.exists(f"/proc/{old_extract}"), "the killed runner's step should outlive it"

    second = daemon(env)
    wait_until(lambda: len(list((tmp_path / "results").iterdir())) >= 2, timeout=60, what="two backups")
    assert second.stop() == 0
    out = second.output

    # While the old extract lived, the new daemon's runs were skipped, never started under it.
    assert "skipped: this task is already running in another process" in out
    for dump in (tmp_path / "results").iterdir():
        lines = dump.read_text().splitlines()
        writers = {line.split()[0] for line in lines}
        assert len(writers) == 1 and len(lines) == LINES, f"{dump.name} mixes dumps: {lines}"
        assert writers != {str(old_extract)}, "the killed run's dump was backed up by another run"

    # The killed run is recorded as lost, with its own start, at the step it was in.
    records = history(work_dir, "dump")
    lost = [r for r in records if r["status"] == "lost"]
    assert len(lost) == 1, [r["status"] for r in records]
    assert lost[0]["failed_step"] == "extract" and lost[0]["trigger"] == "schedule"
    first_success = min(r["started"] for r in records if r["status"] == "succeeded")
    assert lost[0]["started"] < first_success
    assert "lost: the runner (pid" in out and "during step extract" in out


def test_a_lost_run_is_recorded_at_the_next_start_and_shown_by_status_and_healthcheck(
    daemon, cli, tmp_path, work_dir
):
    env = killed_exec(tmp_path, work_dir)
    for pid in processes_with("sleep 600"):  # what an OOM kill of the whole container would leave
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not processes_with("sleep 600"), what="the step ended")

    d = daemon(env)
    d.wait_for("scheduler ready")
    assert "lost: the runner (pid" in d.output
    status = json.loads(cli("status", "nightly", "--json", env=env).stdout)["tasks"][0]
    assert status["last_run"]["status"] == "lost"
    assert status["last_run"]["failed_step"] == "load"
    assert status["last_run"]["trigger"] == "exec"
    assert status["last_success"] is None
    text = cli("status", "nightly", env=env).stdout
    assert "lost" in text and "the runner (pid" in text

    health = cli("healthcheck")
    assert health.returncode == 1
    assert "task nightly: last run lost at step load" in health.stdout
    assert d.stop() == 0
    # recorded once: the daemon's start cleared the in-progress record
    assert [r["status"] for r in history(work_dir, "nightly")] == ["lost"]


def test_a_killed_exec_is_a_lost_run_for_status_and_healthcheck_at_once(daemon, cli, tmp_path, work_dir):
    """Its step still runs and holds the task's lock, so nothing can record the run yet; the readers see
    that its runner is gone and show it lost, without waiting for the task's next run."""
    env = killed_exec(tmp_path, work_dir)
    try:
        status = json.loads(cli("status", "nightly", "--json", env=env).stdout)["tasks"][0]
        assert status["last_run"]["status"] == "lost"
        assert status["last_run"]["failed_step"] == "load"
        d = daemon(env)
        d.wait_for("scheduler ready")
        health = cli("healthcheck")
        assert health.returncode == 1
        assert "task nightly: last run lost at step load" in health.stdout
        assert d.stop() == 0
        assert history(work_dir, "nightly") == []  # seen, not recorded: the task's next run records it
    finally:
        for pid in processes_with("sleep 600"):
            os.kill(pid, signal.SIGKILL)


def test_exec_records_the_lost_run_of_its_task_before_running_it(cli, tmp_path, work_dir):
    marker = tmp_path / "started"
    env = {"TASK_t_LOAD": f"test -e {marker} && exit 0; touch {marker}; exec sleep 600"}
    killed = subprocess.Popen([COMMAND, "exec", "t"], env=base_env(work_dir, env), stdout=subprocess.DEVNULL)
    wait_until(marker.exists, what="the first exec's step started")
    killed.kill()
    killed.wait()
    # Its step still holds the task: an exec now is skipped, not run under it.
    busy = cli("exec", "t", env=env)
    assert busy.returncode == 1 and "already running in another process" in busy.stdout
    for pid in processes_with("sleep 600"):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not processes_with("sleep 600"), what="the step ended")
    again = cli("exec", "t", env=env)
    assert again.returncode == 0, again.output
    # by start time: the lost run started first
    assert [r["status"] for r in history(work_dir, "t")] == ["lost", "skipped", "succeeded"]


def test_a_second_daemon_on_the_same_state_folder_is_refused(daemon, cli):
    env = {"TASK_t_CRONTAB": "0 3 * * *", "TASK_t_LOAD": "true"}
    first = daemon(env)
    first.wait_for("scheduler ready")
    second = cli("run", env=env, timeout=20)
    assert second.returncode == 2
    assert f"another duplicity-cron run (pid {first.proc.pid}) already uses" in second.stderr
    assert "scheduler ready" not in second.stdout
    assert first.proc.poll() is None
    assert first.stop() == 0
    # once the first has stopped, a new one starts
    third = daemon(env)
    third.wait_for("scheduler ready")
    assert third.stop() == 0
