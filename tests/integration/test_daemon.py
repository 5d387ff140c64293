"""`duplicity-cron run`: firing on time, overlap, clean stop on SIGTERM/SIGINT, PID 1 reaping."""

from __future__ import annotations

import itertools
import math
import shutil
import signal
import subprocess
import time

from .conftest import COMMAND, base_env, wait_until


def test_seconds_schedule_fires_several_times_each_within_a_second_of_due(daemon, tmp_path):
    starts = tmp_path / "starts"
    d = daemon({"TASK_tick_CRONTAB": "*/3 * * * * *", "TASK_tick_LOAD": f"date +%s.%N >> {starts}"})
    d.wait_for("run succeeded", count=4, timeout=20)
    assert d.stop() == 0
    times = [float(line) for line in starts.read_text().split()]
    assert len(times) >= 4
    for moment in times:
        due = math.floor(moment)
        # `*/3` seconds: due times are whole seconds divisible by 3; a start at most 1 s late
        # still lies in the due second.
        assert due % 3 == 0, f"started {moment - due:.3f}s into second {due}, not a due second"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(2 < gap < 4 for gap in gaps), gaps


def test_plan_is_printed_before_scheduling(daemon):
    d = daemon(
        {
            "TZ": "Europe/Paris",
            "TASK_nightly_PERIODICITY": "daily",
            "TASK_nightly_LOAD": "true",
            "TASK_back_RESTORE": "1",
            "TASK_back_LOAD": "true",
        }
    )
    d.wait_for("scheduler ready")
    assert d.stop() == 0
    out = d.output
    assert "[nightly] plan: daily (10 1 * * *) (Europe/Paris), next run " in out
    assert "T01:10:00+01:00" in out or "T01:10:00+02:00" in out
    assert "[back] plan: restore task" in out


def test_overlapping_run_is_skipped_with_a_warning(daemon, tmp_path):
    starts = tmp_path / "starts"
    d = daemon({"TASK_slow_CRONTAB": "* * * * * *", "TASK_slow_LOAD": f"echo x >> {starts}; sleep 2.5"})
    d.wait_for("run succeeded", count=2, timeout=20)
    assert d.stop() == 0
    out = d.output
    assert "WARNING: skipped the run due at" in out
    assert "the previous run is still going" in out
    # Every second is due but each run lasts 2.5 s: never two at once.
    assert out.count("run started") == len(starts.read_text().split())
    assert out.count("run started") < out.count("skipped the run")


def test_different_tasks_run_at_the_same_time(daemon, tmp_path):
    # Each task succeeds only if it sees the other one's file while it is itself running.
    wait_for = "for i in $(seq 50); do [ -e {} ] && exit 0; sleep 0.1; done; exit 1"
    wait_for_a, wait_for_b = wait_for.format(tmp_path / "a"), wait_for.format(tmp_path / "b")
    d = daemon(
        {
            "TASK_a_CRONTAB": "* * * * * *",
            "TASK_a_LOAD": f"touch {tmp_path}/a; {wait_for_b}",
            "TASK_b_CRONTAB": "* * * * * *",
            "TASK_b_LOAD": f"touch {tmp_path}/b; {wait_for_a}",
        }
    )
    d.wait_for("[a] run succeeded")
    d.wait_for("[b] run succeeded")
    assert d.stop() == 0


def test_sigterm_interrupts_the_run_lets_hooks_finish_and_exits_zero(daemon, tmp_path):
    trace = tmp_path / "trace"
    d = daemon(
        {
            "CONF_STOP_GRACE": "4s",
            "TASK_t_CRONTAB": "* * * * * *",
            "TASK_t_LOAD": f"echo load >> {trace}; sleep 60",
            "TASK_t_SUCCEED": f"echo succeed >> {trace}",
            "TASK_t_FAILED": f'sleep 0.5; echo "failed $RUN_STATUS" >> {trace}',
            "TASK_t_FINALLY": f"echo finally >> {trace}",
        }
    )
    wait_until(lambda: trace.exists() and "load" in trace.read_text(), what="load started")
    stopped_at = time.monotonic()
    assert d.stop(signal.SIGTERM, timeout=15) == 0
    took = time.monotonic() - stopped_at
    assert trace.read_text().splitlines() == ["load", "failed interrupted", "finally"]
    assert took < 4 + 2, f"stopping took {took:.1f}s, more than the grace"
    assert "run interrupted" in d.output
    assert "scheduler stopped" in d.output


def test_hooks_that_outlive_the_grace_are_killed(daemon, tmp_path):
    trace = tmp_path / "trace"
    d = daemon(
        {
            "CONF_STOP_GRACE": "2",
            "TASK_t_CRONTAB": "* * * * * *",
            "TASK_t_LOAD": f"echo load >> {trace}; sleep 60",
            "TASK_t_FINALLY": f"echo finally-start >> {trace}; sleep 60; echo finally-end >> {trace}",
        }
    )
    wait_until(trace.exists, what="load started")
    stopped_at = time.monotonic()
    assert d.stop(signal.SIGINT, timeout=15) == 0
    assert time.monotonic() - stopped_at < 2 + 2
    assert trace.read_text().splitlines() == ["load", "finally-start"]


def test_sigterm_when_idle_exits_at_once(daemon):
    d = daemon({"TASK_t_CRONTAB": "0 0 1 1 *", "TASK_t_LOAD": "true"})
    d.wait_for("scheduler ready")
    stopped_at = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - stopped_at < 1.5


def test_as_pid1_orphans_are_reaped(work_dir, tmp_path):
    """In a PID namespace of its own the runner is PID 1; daemonized children of steps become its own."""
    unshare = shutil.which("unshare")
    assert unshare, "util-linux unshare is needed"
    counter, ps_out = tmp_path / "counter", tmp_path / "ps"
    env = base_env(
        work_dir,
        {
            # Each run leaves a grandchild in a session of its own that outlives the step, as gpg-agent does.
            "TASK_orphans_CRONTAB": "* * * * * *",
            "TASK_orphans_LOAD": f"echo run >> {counter}; setsid sh -c 'sleep 0.2' & true",
            # After a few runs, look for zombies, then stop the runner (PID 1 of the namespace).
            "TASK_check_CRONTAB": "* * * * * *",
            "TASK_check_LOAD": f"[ $(wc -l < {counter}) -ge 4 ] || exit 0; sleep 0.5; "
            f"ps -eo stat=,comm= > {ps_out}; kill -TERM 1",
        },
    )
    proc = subprocess.run(
        [unshare, "--pid", "--fork", "--mount-proc", COMMAND, "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    states = ps_out.read_text().splitlines()
    assert any("duplicity-cron" in line or "python" in line for line in states), states
    assert [line for line in states if line.startswith("Z")] == [], states


def test_restart_does_not_duplicate_runs(daemon, tmp_path, work_dir):
    starts = tmp_path / "starts"
    env = {"TASK_t_CRONTAB": "*/2 * * * * *", "TASK_t_LOAD": f"date +%s >> {starts}"}
    first = daemon(env)
    first.wait_for("run succeeded", count=1, timeout=10)
    assert first.stop() == 0
    second = daemon(env)
    second.wait_for("run succeeded", count=3, timeout=15)
    assert second.stop() == 0
    seconds = [int(s) for s in starts.read_text().split()]
    assert len(seconds) == len(set(seconds)), f"a due time ran twice: {seconds}"


def test_exec_of_a_task_the_daemon_is_running_is_refused(daemon, cli, tmp_path):
    """Two runs of one task would empty each other's SRC and DST, even from two processes."""
    marker = tmp_path / "running"
    d = daemon({"TASK_t_CRONTAB": "* * * * * *", "TASK_t_LOAD": f"touch {marker}; sleep 3"})
    wait_until(marker.exists, what="the daemon's run started")
    result = cli("exec", "t", env={"TASK_t_LOAD": "echo should-not-run"})
    assert result.returncode == 1
    assert "skipped: this task is already running in another process" in result.stdout
    assert "should-not-run" not in result.stdout
    assert "run skipped" in result.stdout
    assert d.stop() == 0


def test_sigterm_during_exec_with_a_flood_of_output_runs_the_hooks(daemon, tmp_path):
    """exec and restore handle SIGTERM too; the handler only sets a flag, so a signal that lands
    while the runner writes a line cannot break the write."""
    trace = tmp_path / "trace"
    d = daemon(
        {
            "CONF_STOP_GRACE": "4",
            "TASK_t_LOAD": f"echo load >> {trace}; yes flood-line",
            "TASK_t_FAILED": f'echo "failed $RUN_STATUS" >> {trace}',
            "TASK_t_FINALLY": f"echo finally >> {trace}",
        },
        args=("exec", "t"),
    )
    wait_until(trace.exists, what="load started")
    time.sleep(0.5)  # well inside the flood
    assert d.stop(signal.SIGTERM, timeout=15) == 1
    assert trace.read_text().splitlines() == ["load", "failed interrupted", "finally"]
    assert "received SIGTERM; the run was interrupted" in d.output
    assert "Traceback" not in d.output
