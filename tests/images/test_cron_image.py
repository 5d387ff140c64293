"""The cron image as a user runs it: tasks from the environment, seconds-level schedules, the
`restore` argument, any other argument executed, a clean stop, restarts, zombies, non-root and
read-only. The runner logs JSON (CONF_LOG_FORMAT=json) so that the tests read its events exactly."""

from __future__ import annotations

import itertools
import json
import time

import pytest

from .util import DUP_OPTS, PASSPHRASE, make_tree, open_dir, tree_digest

DUP = " ".join(DUP_OPTS)


@pytest.fixture(scope="module")
def cron(engine):
    return engine.image("cron")


def events(engine, name: str) -> list[dict]:
    proc = engine.cmd("logs", name, check=False)
    out = []
    for line in (proc.stdout + proc.stderr).splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def wait_events(engine, name: str, predicate, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        got = events(engine, name)
        if predicate(got):
            return got
        if time.monotonic() > deadline:
            logs = engine.cmd("logs", name, check=False)
            state = engine.cmd(
                "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name, check=False
            )
            raise AssertionError(
                f"timed out; container {state.stdout.strip()}; logs:\n"
                f"{logs.stdout[-4000:]}{logs.stderr[-2000:]}"
            )
        time.sleep(0.3)


def finished(items: list[dict], task: str, status: str | None = None) -> list[dict]:
    return [
        e
        for e in items
        if e.get("event") == "run_finished"
        and e.get("task") == task
        and (status is None or e.get("status") == status)
    ]


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


def start(engine, containers, image, env, *, volumes=(), extra=(), args=()) -> str:
    name = containers("cron")
    options = ["run", "-d", "--name", name, *env_args({"CONF_LOG_FORMAT": "json", **env})]
    for volume in volumes:
        options += ["-v", volume]
    engine.cmd(*options, *extra, image, *args)
    return name


def test_seconds_schedule_runs_tasks_and_logs_to_stdout(engine, containers, cron):
    name = start(
        engine,
        containers,
        cron,
        {
            "TASK_tick_CRONTAB": "*/2 * * * * *",
            "TASK_tick_LOAD": 'echo "tick from $TASK_ID in $PWD, src=$SRC"',
        },
    )
    got = wait_events(engine, name, lambda ev: len(finished(ev, "tick", "succeeded")) >= 2, timeout=30)
    assert any(e.get("event") == "scheduler_ready" for e in got)
    outputs = [e["message"] for e in got if e.get("level") == "output" and e.get("task") == "tick"]
    assert "tick from tick in /workdir, src=/workdir/tick/src" in outputs
    runs = [e for e in got if e.get("task") == "tick" and str(e.get("message", "")).startswith("run started")]
    assert len(runs) >= 2


def test_restore_argument_runs_restore_tasks_in_order_and_exits_with_their_status(engine, cron, tmp_path):
    src = make_tree(tmp_path / "src", big=200_000)
    data = open_dir(tmp_path / "data")
    backup = engine.run(
        cron,
        "full",
        *DUP_OPTS,
        "/src",
        "file:///data/backup",
        entrypoint="duplicity",
        env={"PASSPHRASE": PASSPHRASE},
        volumes=[f"{src}:/src:ro", f"{data}:/data"],
    )
    assert backup.returncode == 0, backup.stderr
    env = {
        "PASSPHRASE": PASSPHRASE,
        "CONF_LOG_FORMAT": "json",
        # ordered by <RESTORE>_<id>: 10_files, 20_check, 30_last
        "TASK_last_RESTORE": "30",
        "TASK_last_LOAD": "echo last >> /data/order",
        "TASK_files_RESTORE": "10",
        "TASK_files_LOAD": (
            f"echo files >> /data/order && duplicity restore {DUP} file:///data/backup /data/restored"
        ),
        "TASK_check_RESTORE": "20",
        "TASK_check_LOAD": "echo check >> /data/order && test -f /data/restored/text.sql",
    }
    ok = engine.run(cron, "restore", env=env, volumes=[f"{data}:/data"])
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    assert (data / "order").read_text().split() == ["files", "check", "last"]
    assert tree_digest(data / "restored") == tree_digest(src)

    # a failing restore task stops the sequence and the container exits non-zero
    (data / "order").unlink()
    env["TASK_check_LOAD"] = "echo check >> /data/order && exit 7"
    env["TASK_files_LOAD"] = "echo files >> /data/order"
    failed = engine.run(cron, "restore", env=env, volumes=[f"{data}:/data"])
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert (data / "order").read_text().split() == ["files", "check"]


def test_execute_restore_command_is_there(engine, cron, tmp_path):
    data = open_dir(tmp_path / "data")
    proc = engine.run(
        cron,
        "execute-restore",
        env={"TASK_a_RESTORE": "1", "TASK_a_LOAD": "touch /data/a-ran"},
        volumes=[f"{data}:/data"],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (data / "a-ran").exists()


def test_other_arguments_are_executed(engine, cron):
    version = engine.run(cron, "duplicity", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split()[:2] == ["duplicity", "3.2.1"]
    shell = engine.run(cron, "bash", "-c", 'echo "args: $*"; exit 3', "bash", "one", "two")
    assert shell.returncode == 3
    assert "args: one two" in shell.stdout
    # tasks are validated first: a typo in a key stops the container before the command runs
    typo = engine.run(
        cron, "echo", "should not run", env={"TASK_x_CRONTAB": "* * * * *", "TASK_x_LAOD": "true"}
    )
    assert typo.returncode == 2
    assert "should not run" not in typo.stdout
    assert "TASK_x_LAOD" in typo.stderr


def test_timezone_from_tz(engine, cron):
    proc = engine.run(cron, "date", "+%Z", env={"TZ": "Asia/Tokyo"})
    assert proc.stdout.strip() == "JST", proc.stdout + proc.stderr


def test_stop_ends_cleanly_within_the_grace_period_and_runs_finally(engine, containers, cron, tmp_path):
    work = open_dir(tmp_path / "work")
    name = start(
        engine,
        containers,
        cron,
        {
            "CONF_STOP_GRACE": "8s",
            "TASK_long_CRONTAB": "* * * * * *",
            "TASK_long_LOAD": "echo started > /workdir/load-started; sleep 300",
            "TASK_long_FAILED": "echo failed-ran > /workdir/failed-marker",
            "TASK_long_FINALLY": "echo finally-ran > /workdir/finally-marker",
        },
        volumes=[f"{work}:/workdir"],
    )
    wait_events(
        engine,
        name,
        lambda ev: any(
            (e.get("task") == "long" and e.get("step") == "load")
            or str(e.get("message", "")).startswith("run started")
            for e in ev
        ),
    )
    deadline = time.monotonic() + 10
    while not (work / "load-started").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    began = time.monotonic()
    engine.cmd("stop", "-t", "30", name, timeout=60)
    took = time.monotonic() - began
    state = engine.cmd("inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", name).stdout.split()
    assert state[0] == "0", (
        f"exit code {state[0]} (137 means SIGKILL): {engine.cmd('logs', name).stdout[-3000:]}"
    )
    assert took < 8 + 4, f"stop took {took:.1f} s, more than the 8 s grace"
    assert (work / "finally-marker").read_text().strip() == "finally-ran"
    got = events(engine, name)
    assert any(e.get("event") == "scheduler_stopped" for e in got)
    assert finished(got, "long"), "the interrupted run reported no result"


def test_restarted_container_does_not_run_tasks_twice(engine, containers, cron, tmp_path):
    work = open_dir(tmp_path / "work")
    name = start(
        engine,
        containers,
        cron,
        {
            "TASK_beat_CRONTAB": "*/2 * * * * *",
            "TASK_beat_LOAD": "date +%s.%N >> /workdir/beats",
        },
        volumes=[f"{work}:/workdir"],
    )
    wait_events(engine, name, lambda ev: len(finished(ev, "beat")) >= 1, timeout=30)
    first_start = engine.cmd("inspect", "--format", "{{.State.StartedAt}}", name).stdout
    engine.cmd("restart", "-t", "10", name, timeout=60)
    time.sleep(1)
    engine.cmd("restart", "-t", "10", name, timeout=60)
    assert engine.cmd("inspect", "--format", "{{.State.StartedAt}}", name).stdout != first_start
    before = len((work / "beats").read_text().split())
    time.sleep(9)
    beats = [float(x) for x in (work / "beats").read_text().split()]
    after_restart = beats[before:]
    # every 2 s: about 4 runs in 9 s, each alone in its 2-second slot (the original ran each twice)
    assert 3 <= len(after_restart) <= 6, after_restart
    gaps = [b - a for a, b in itertools.pairwise(after_restart)]
    assert min(gaps) > 1.5, gaps


def test_no_zombies_after_several_duplicity_runs(engine, containers, cron, tmp_path):
    src = make_tree(tmp_path / "src", big=100_000)
    dst = open_dir(tmp_path / "dst")
    name = start(
        engine,
        containers,
        cron,
        {
            "PASSPHRASE": PASSPHRASE,
            "TASK_bk_CRONTAB": "*/3 * * * * *",
            "TASK_bk_LOAD": f"duplicity backup {DUP} /src file:///dst",
            # a step that leaves an orphan behind, the way gpg-agent does
            "TASK_bk_FINALLY": "(sleep 1 &) ; true",
        },
        volumes=[f"{src}:/src:ro", f"{dst}:/dst"],
    )
    got = wait_events(engine, name, lambda ev: len(finished(ev, "bk")) >= 4, timeout=90)
    assert len(finished(got, "bk", "succeeded")) >= 4, [e["message"] for e in finished(got, "bk")]
    time.sleep(2)
    states = engine.cmd(
        "exec", name, "sh", "-c", "for f in /proc/[0-9]*/stat; do cat $f 2>/dev/null; echo; done"
    ).stdout
    procs = [line.split() for line in states.splitlines() if line.strip()]
    zombies = [p for p in procs if p[2] == "Z"]
    assert zombies == [], zombies
    agents = [p for p in procs if "gpg-agent" in p[1]]
    assert len(agents) <= 1, agents
    assert any(p.name.endswith(".difftar.gpg") for p in dst.iterdir())
    # pid 1 is tini
    assert [p[1] for p in procs if p[0] == "1"] == ["(tini)"]


def test_runs_as_user_1000_read_only(engine, containers, cron, tmp_path):
    src = make_tree(tmp_path / "src", big=100_000)
    dst = open_dir(tmp_path / "dst")
    work = open_dir(tmp_path / "work")
    cache = open_dir(tmp_path / "cache")
    state = open_dir(tmp_path / "state")
    name = start(
        engine,
        containers,
        cron,
        {
            "PASSPHRASE": PASSPHRASE,
            "TASK_bk_CRONTAB": "*/2 * * * * *",
            "TASK_bk_EXTRACT": 'cp -r /src/. "$SRC"',
            "TASK_bk_LOAD": f'duplicity backup {DUP} "$SRC" file:///dst && id -u > /dst/uid',
        },
        volumes=[
            f"{src}:/src:ro",
            f"{dst}:/dst",
            f"{work}:/workdir",
            f"{cache}:/cache",
            f"{state}:/var/lib/duplicity-cron",
        ],
        extra=["--user", "1000:1000", "--read-only", "--tmpfs", "/tmp"],
    )
    got = wait_events(engine, name, lambda ev: len(finished(ev, "bk")) >= 2, timeout=60)
    assert len(finished(got, "bk", "succeeded")) >= 2, [e.get("message") for e in got][-20:]
    assert (dst / "uid").read_text().strip() == "1000"
    assert (work / "bk" / "src" / "text.sql").exists()
    assert list((cache / "duplicity").iterdir())
    assert list(state.iterdir()), "the runner wrote no state (history, heartbeat) into CONF_STATE_DIR"


def test_healthcheck_reports_a_running_scheduler(engine, containers, cron, tmp_path):
    state = open_dir(tmp_path / "state")
    name = start(
        engine,
        containers,
        cron,
        {"TASK_n_CRONTAB": "0 3 * * *", "TASK_n_LOAD": "true"},
        volumes=[f"{state}:/var/lib/duplicity-cron"],
    )
    wait_events(engine, name, lambda ev: any(e.get("event") == "scheduler_ready" for e in ev))
    proc = engine.cmd("exec", name, "duplicity-cron", "healthcheck", check=False)
    assert (proc.returncode, proc.stdout.strip()) == (0, "healthy"), proc.stdout + proc.stderr
    if engine.name == "podman":
        # the image's own HEALTHCHECK instruction, run by the engine
        assert engine.cmd("healthcheck", "run", name, check=False).returncode == 0
    engine.cmd("stop", "-t", "20", name, timeout=60)
    stopped = engine.run(cron, "healthcheck", volumes=[f"{state}:/var/lib/duplicity-cron"])
    assert stopped.returncode == 1 and "unhealthy" in stopped.stdout, stopped.stdout + stopped.stderr


def test_image_healthcheck_follows_failing_and_succeeding_runs(engine, containers, cron, tmp_path):
    """The image's HEALTHCHECK: unhealthy after a failing backup, healthy again after a success."""
    flags = open_dir(tmp_path / "flags")
    name = start(
        engine,
        containers,
        cron,
        {"TASK_b_CRONTAB": "*/2 * * * * *", "TASK_b_MAX_AGE": "1h", "TASK_b_LOAD": "test ! -e /flags/fail"},
        volumes=[f"{flags}:/flags"],
    )

    def health() -> tuple[int, str]:
        if engine.name == "podman":  # the image's own HEALTHCHECK instruction, run by the engine
            proc = engine.cmd("healthcheck", "run", name, check=False)
            # podman prints the check's output only to the container's health log
            log = engine.cmd("inspect", "--format", "{{json .State.Health}}", name).stdout
            return proc.returncode, log
        proc = engine.cmd("exec", name, "duplicity-cron", "healthcheck", check=False)
        return proc.returncode, proc.stdout

    wait_events(engine, name, lambda ev: finished(ev, "b", "succeeded"))
    assert health()[0] == 0
    (flags / "fail").touch()
    wait_events(engine, name, lambda ev: finished(ev, "b", "failed"))
    code, output = health()
    assert code == 1 and "task b: last run failed at step load (exit code 1)" in output, output
    (flags / "fail").unlink()
    successes = len(finished(events(engine, name), "b", "succeeded"))
    wait_events(engine, name, lambda ev: len(finished(ev, "b", "succeeded")) > successes)
    assert health()[0] == 0
    engine.cmd("stop", "-t", "20", name, timeout=60)
