"""The daemon assembled: plan, metrics, observers, heartbeat, reaper and signals around the scheduling
loop, and a clean stop (running tasks interrupted, their hooks given the stop grace).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from ..config import Config, ConfigError
from ..config.environment import Environment
from ..log import Log
from ..model import PlannedTask
from ..monitoring.fanout import observers_for
from ..runner.containers import recover_stopped_containers
from ..runner.context import RunContext
from ..runner.lock import DaemonRunning, hold_daemon_lock
from ..runner.locked_run import recover_lost_runs
from ..runner.processes import reaper
from ..runner.processes.cancel import on_stop_signals
from ..state import files, heartbeat
from ..views.plan_lines import plan_lines
from ..views.text import zone_name
from .clock import SystemClock
from .plan import plan, schedule_of
from .runs import DaemonRuns
from .scheduler import Scheduler

if TYPE_CHECKING:
    from ..monitoring.prometheus import Metrics


def version() -> str:
    """This package's version, looked up when the daemon starts (see `duplicity_cron.__getattr__`)."""
    from .. import __version__

    return __version__


class _HeartbeatWriter:
    """Rewrites the heartbeat at every tick; a failure is logged once per streak, not every 20 s."""

    def __init__(self, state_dir: Path, planned: tuple[PlannedTask, ...], log: Log) -> None:
        self.state_dir = state_dir
        self.log = log
        now = datetime.now(UTC)
        self.beat = heartbeat.Heartbeat(os.getpid(), socket.gethostname(), now, now, planned)
        self.failing = False

    def first(self) -> None:
        """OSError when the state folder is not writable (a start-up error)."""
        heartbeat.write(self.state_dir, self.beat)

    def tick(self) -> None:
        self.beat = self.beat.beat(datetime.now(UTC))
        try:
            heartbeat.write(self.state_dir, self.beat)
            self.failing = False
        except OSError as exc:
            if not self.failing:
                self.log.event(f"cannot write the heartbeat: {exc}", level="error")
            self.failing = True

    def stopped(self) -> None:
        with contextlib.suppress(OSError):
            heartbeat.write(self.state_dir, self.beat.stop(datetime.now(UTC)))


def _start_metrics(
    config: Config, planned: tuple[PlannedTask, ...], environment: Environment
) -> Metrics | None:
    """/metrics and the status page at / of CONF_METRICS_PORT, when it is set."""
    if config.metrics_port is None:
        return None
    # deferred: an idle daemon without metrics need not load them
    from ..monitoring import status_page
    from ..monitoring.prometheus import Metrics

    def page(prefix: str) -> str:
        """Rendered at each request from the state folder: runs of `exec` in other processes too."""
        return status_page.render(
            config, environment.mask, datetime.now(UTC), prefix=prefix, version=version()
        )

    metrics = Metrics()
    for entry in planned:
        if not entry.drill:
            metrics.add_task(entry.task, entry.max_age)
    metrics.refresh(Path(config.state_dir), list(dict.fromkeys(entry.task for entry in planned)))
    try:
        metrics.serve(config.metrics_port, page)
    except OSError as exc:
        raise ConfigError(
            [f"CONF_METRICS_PORT: cannot listen on port {config.metrics_port}: {exc}"]
        ) from None
    return metrics


def _refuse_a_second_daemon(state_dir: Path) -> None:
    """Two schedulers on one state folder would run every task twice: hold its daemon lock for life."""
    try:
        hold_daemon_lock(state_dir)  # the descriptor stays open until the process ends
    except DaemonRunning as exc:
        holder = f" (pid {exc.pid})" if exc.pid else ""
        raise ConfigError(
            [f"CONF_STATE_DIR: another duplicity-cron run{holder} already uses {state_dir}; stop it first"]
        ) from None
    except OSError as exc:
        # the daemon lock is the first of the daemon's files there; the heartbeat comes next
        raise ConfigError([f"CONF_STATE_DIR: cannot write the heartbeat in {state_dir}: {exc}"]) from None


def run_daemon(config: Config, environment: Environment, log: Log) -> None:
    """Schedule until SIGTERM/SIGINT. ConfigError when it cannot start (metrics port, state folder)."""
    planned = plan(config.tasks.values(), datetime.now(UTC))
    state_dir = Path(config.state_dir)
    _refuse_a_second_daemon(state_dir)
    for problem in files.make_private(state_dir):
        log.event(f"cannot make the state folder private: {problem}", level="warning")
    metrics = _start_metrics(config, planned, environment)
    writer = _HeartbeatWriter(state_dir, planned, log)
    try:
        writer.first()
    except OSError as exc:
        raise ConfigError(
            [f"CONF_STATE_DIR: cannot write the heartbeat in {config.state_dir}: {exc}"]
        ) from None
    context = RunContext.of(config, environment.values, log, observers_for(config, log, metrics))
    recover_lost_runs(config.tasks.values(), context)
    recover_stopped_containers(config.tasks.values(), context)
    runs = DaemonRuns(context)
    scheduler = _scheduler(config, planned, runs, metrics, writer)
    stop_signal: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stop_signal:
            stop_signal.append(signum)
        scheduler.request_stop()

    reaper.start_reaper_if_pid1()
    on_stop_signals(on_signal)
    _say_ready(config, planned, metrics, log)
    scheduler.run()
    if stop_signal:
        log.event(f"received {signal.Signals(stop_signal[0]).name}; stopping")
    runs.interrupt_all(config.stop_grace)
    log.event("scheduler stopped", event="scheduler_stopped")
    writer.stopped()
    # The clock's wake-up pipe stays open: a late second signal must still find it.


def _scheduler(
    config: Config,
    planned: tuple[PlannedTask, ...],
    runs: DaemonRuns,
    metrics: Metrics | None,
    writer: _HeartbeatWriter,
) -> Scheduler:
    """The loop over the plan: a due entry starts a run (or a drill), each tick refreshes the metrics
    and writes the heartbeat."""
    task_ids = list(dict.fromkeys(entry.task for entry in planned))  # a task with drills once
    entries = {entry.key: entry for entry in planned}
    state_dir = Path(config.state_dir)

    def fire(key: str, due: datetime) -> None:
        entry = entries[key]
        runs.start(config.tasks[entry.task], due, drill=entry.drill)

    def next_due(key: str, due: datetime) -> None:
        if metrics is not None and not entries[key].drill:
            metrics.set_next_run(entries[key].task, due)

    def tick() -> None:
        if metrics is not None:
            metrics.refresh(state_dir, task_ids)  # exec runs of other processes count too
        writer.tick()

    return Scheduler(
        {key: schedule_of(config.tasks[entry.task], entry) for key, entry in entries.items()},
        {key: entry.first_due for key, entry in entries.items()},
        fire,
        SystemClock(),
        tick=tick,
        tick_interval=heartbeat.INTERVAL,
        on_next_due=next_due,
    )


def _say_ready(config: Config, planned: tuple[PlannedTask, ...], metrics: Metrics | None, log: Log) -> None:
    """The start-up lines: version, tasks, time zone, each task's plan, the metrics, ready."""
    log.event(
        f"duplicity-cron {version()}: {len(config.tasks)} task(s), time zone {zone_name(config.timezone)}"
    )
    for task_id, line in plan_lines(config.tasks, planned):
        log.event(line, task=task_id)
    if metrics is not None:
        metrics.up.set(1)
        log.event(
            f"metrics on http://0.0.0.0:{config.metrics_port}/metrics, "
            f"status page on http://0.0.0.0:{config.metrics_port}/"
        )
    drills = sum(entry.drill for entry in planned)
    scheduled = f"{len(planned) - drills} scheduled task(s)" + (f", {drills} with drills" if drills else "")
    log.event(f"scheduler ready: {scheduled}", event="scheduler_ready")
