"""Progress of long duplicity commands: one log line every CONF_PROGRESS_INTERVAL, or a live one-line bar
on a terminal, instead of duplicity's own progress output (which would flood the log and the run's
output tail). What duplicity 3.2.1 prints, measured:

- `backup --progress` (needs `-v notice`) prints a line on stdout every `--progress-rate` seconds,
  each after the first prefixed with ANSI cursor-up and erase-line (`\\x1b[F\\x1b[2K`), never `\\r`:
  `20.0MB 00:00:02 [5.1MB/s] [=========>       ] 52% ETA 1sec` (bytes done as duplicity counts them:
  whole volumes; `ETA Stalled!` while none completes). At that verbosity it also prints stray
  `DEBUG: to_partial called for ...` lines (six per backup) and three notices (NOTICE_NOISE): dropped.
- `restore` has no transfer progress (`--progress` prints nothing); at `-v info` its machine-readable
  log (`--log-fd`) has a record `INFO 2 <volume> <volumes>` ("Processed volume 3 of 5") per volume.

The API the commands use: `log_reporter(interval, log, task, step, bar=stream_or_None)` (or
`Reporter(interval, emit, bar=...)`) takes `Progress` samples; `BackupFilter(reporter).feed(line)` and
`MachineLogFilter(reporter, show).feed(line)` take a command's stdout lines and return True for the
lines they consumed; `Reporter.clear()` before printing anything else, `Reporter.close()` at the end.
A command read through `MachineLogFilter` runs with `-v info --log-fd 3` and `3>&1 1>/dev/null`, as
`targets.duplicity.restore_command(progress=True)` builds it (`verify` walks the volumes the same way).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from ..log import Log

_ANSI_REWRITE = "\x1b[F\x1b[2K"
BACKUP_LINE = re.compile(
    r"(?P<done>\d+\.\d[KMG]B) (?:\d+d,)?\d\d:\d\d:\d\d \[[\d.]+[KMG]?B/s\] \[[=> ]*\] "
    r"(?P<percent>\d+)% ETA (?P<eta>.+)"
)
# What `-v notice` adds to a backup's output besides progress, measured on 3.2.1; `-v warning` (used
# without progress) hides it: 3.2.1's stray print()s, and notices, one of which ("backup complete") is
# printed after a failed backup too.
NOTICE_NOISE = (
    "DEBUG: ",
    "Duplicity backup complete.",
    "Last full backup date: ",
    "Local and Remote metadata are synchronized, no sync needed.",
)
VOLUME_RECORD = re.compile(r"INFO 2 (?P<volume>\d+) (?P<volumes>\d+)")
_RECORD_HEADER = re.compile(r"(?P<level>DEBUG|INFO|NOTICE|WARNING|ERROR) \d+(?: .*)?")
BAR_WIDTH = 30


@dataclass(frozen=True)
class Progress:
    """One sample: what is done (as text), the percentage, and the estimated time left (as text)."""

    done: str
    percent: int
    eta: str

    def text(self) -> str:
        return f"{self.percent}% done ({self.done}), ETA {self.eta}"


def backup_progress(line: str) -> Progress | None:
    """The sample a `backup --progress` line carries, or None for any other line."""
    match = BACKUP_LINE.fullmatch(line.replace(_ANSI_REWRITE, "").strip())
    if match is None:
        return None
    return Progress(match["done"], min(100, int(match["percent"])), match["eta"].strip())


def format_eta(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class Reporter:
    """Samples in; out, at most one `emit(text)` every `interval` seconds, or (with `bar`, a terminal)
    a live bar redrawn at each sample. Interval 0: nothing at all."""

    def __init__(
        self,
        interval: float,
        emit: Callable[[str], None],
        *,
        bar: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.emit = emit
        self.bar = bar
        self.clock = clock
        self.started = clock()
        self.next_line = self.started + interval
        self.drawn = False

    def sample(self, progress: Progress) -> None:
        if self.interval <= 0:
            return
        if self.bar is not None:
            filled = BAR_WIDTH * progress.percent // 100
            self._draw(f"\r[{'=' * filled}{' ' * (BAR_WIDTH - filled)}] {progress.text()}\x1b[K")
            return
        now = self.clock()
        if now >= self.next_line:
            self.next_line = now + self.interval
            self.emit(f"progress: {progress.text()}")

    def elapsed(self) -> float:
        return self.clock() - self.started

    def clear(self) -> None:
        """Before another line is printed: the bar's line is emptied (redrawn at the next sample)."""
        if self.drawn:
            self._draw("\r\x1b[K")
            self.drawn = False

    def close(self) -> None:
        self.clear()

    def _draw(self, text: str) -> None:
        assert self.bar is not None
        try:
            self.bar.write(text)
            self.bar.flush()
            self.drawn = True
        except (OSError, ValueError):
            self.bar = None  # the terminal went away: the command goes on


def log_reporter(interval: float, log: Log, task: str, step: str, bar: TextIO | None = None) -> Reporter:
    """A Reporter whose lines are the log's, as `[task/step] progress: ...`: never in a run's output tail."""
    return Reporter(interval, lambda text: log.event(text, task=task, step=step), bar=bar)


class BackupFilter:
    """The stdout lines of `duplicity backup --progress`: progress lines become samples, the noise of
    `-v notice` goes, every other line is left to the caller."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def feed(self, line: str) -> bool:
        progress = backup_progress(line)
        if progress is not None:
            self.reporter.sample(progress)
            return True
        return line.startswith(NOTICE_NOISE)


class MachineLogFilter:
    """Stdout carrying duplicity's machine-readable log (`-v info --log-fd 3 3>&1 1>/dev/null`): a
    volume record becomes a sample (percentage of volumes, ETA from the time so far); the text of
    WARNING records goes to `show`, as `-v warning` would have printed it; the other records go
    (errors are on stderr, in words). Lines outside any record are left to the caller."""

    def __init__(self, reporter: Reporter, show: Callable[[str], None]) -> None:
        self.reporter = reporter
        self.show = show
        self.level: str | None = None

    def feed(self, line: str) -> bool:
        header = _RECORD_HEADER.fullmatch(line.rstrip())
        if header is not None:
            self.level = header["level"]
            volume = VOLUME_RECORD.fullmatch(line.rstrip())
            if volume is not None:
                self._volume(int(volume["volume"]), int(volume["volumes"]))
            return True
        if self.level is not None and line.startswith("."):
            if self.level == "WARNING":
                self.show(line[2:])
            return True
        if self.level is not None and not line.strip():
            self.level = None  # a record ends with an empty line
            return True
        self.level = None
        return False

    def _volume(self, volume: int, volumes: int) -> None:
        if volumes <= 0:
            return
        done = min(volume, volumes)
        left = self.reporter.elapsed() * (volumes - done) / done if done else 0.0
        self.reporter.sample(Progress(f"volume {done} of {volumes}", 100 * done // volumes, format_eta(left)))


# A line of a step's output: (stream, text, cut)
OnLine = Callable[..., None]


@contextlib.contextmanager
def restore_lines(
    show: OnLine, machine_log: bool, interval: float, log: Log, task: str, step: str, bar: TextIO | None
) -> Iterator[OnLine]:
    """The `on_line` of a step of a restore or a drill. With duplicity's machine-readable log on stdout
    (`restore_command(progress=True)`), its volumes are progress (a line every `interval` seconds,
    or a live bar on `bar`) and its warnings are shown in words; every other line goes to `show`
    (after the bar's line is cleared, on a terminal)."""
    reporter = log_reporter(interval if machine_log else 0, log, task, step, bar=bar if machine_log else None)

    def shown(stream: str, text: str, cut: bool = False) -> None:
        reporter.clear()
        show(stream, text, cut)

    progress = MachineLogFilter(reporter, lambda text: shown("stdout", text))

    def on_line(stream: str, text: str, cut: bool = False) -> None:
        if machine_log and stream == "stdout" and progress.feed(text):
            return
        shown(stream, text, cut)

    try:
        yield on_line
    finally:
        reporter.close()
