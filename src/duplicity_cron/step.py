"""Running one step: `bash -c COMMAND` in its own process group, output streamed line by line.

One thread per step, no polling: a selector waits on the step's stdout and stderr, a pidfd that becomes
readable when the step exits, and a wake-up pipe through which a shutdown interrupts it.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import reaper

# How long output may keep coming after the step exited (a background job holding the pipe).
_DRAIN_SECONDS = 1.0
_MAX_LINE = 64 * 1024  # longer lines are cut; the rest of such a line is dropped
_POLL_SECONDS = 0.1  # only where pidfd_open is not allowed


class Cancel:
    """Shared by the steps of one run: lets another thread interrupt the run (a shutdown)."""

    def __init__(self) -> None:
        # Reentrant: `interrupt` is called from signal handlers, in a thread that may be in `close`.
        self._lock = threading.RLock()
        self._closed = False
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self.interrupted = False
        self.hard_deadline: float | None = None  # monotonic time after which everything is killed

    @property
    def wake_fd(self) -> int:
        return self._read_fd

    def interrupt(self, hard_deadline: float) -> None:
        self.hard_deadline = hard_deadline
        self.interrupted = True
        with self._lock:
            if not self._closed:
                with contextlib.suppress(BlockingIOError):
                    os.write(self._write_fd, b"x")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self._read_fd)
                os.close(self._write_fd)


@dataclass(frozen=True)
class StepOutcome:
    exit_code: int
    timed_out: bool = False
    interrupted: bool = False


def exit_code_of(returncode: int) -> int:
    """Shell convention: a process killed by signal N exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def run_step(
    command: str,
    *,
    cwd: str,
    env: Mapping[str, str],
    on_line: Callable[..., None],
    cancel: Cancel,
    deadline: float | None = None,
    kill_grace: float = 5.0,
    stop_on_interrupt: bool = True,
) -> StepOutcome:
    """Run `command` until it ends, `deadline` (monotonic) passes, or `cancel` interrupts it.

    At the deadline or on interrupt, the step's process group gets SIGTERM, then SIGKILL after
    `kill_grace`; at the cancel's hard deadline it gets SIGKILL. Hooks that must still run during a
    shutdown pass `stop_on_interrupt=False` and only the hard deadline bounds them.
    When the step ends, whatever it left running in its process group is ended too.
    `on_line(stream, text)` receives each output line, stream being "stdout" or "stderr"; a line cut
    at 64 KiB comes as `on_line(stream, text, cut=True)`.
    """
    try:
        proc = reaper.spawn(
            ["bash", "-c", command],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        on_line("stderr", f"cannot start the step: {exc}")
        return StepOutcome(exit_code=127)
    try:
        return _supervise(proc, on_line, cancel, deadline, kill_grace, stop_on_interrupt)
    except BaseException:
        # Never leave a step running unsupervised.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        reaper.release(proc.pid)


def _supervise(
    proc: subprocess.Popen[bytes],
    on_line: Callable[..., None],
    cancel: Cancel,
    deadline: float | None,
    kill_grace: float,
    stop_on_interrupt: bool,
) -> StepOutcome:
    assert proc.stdout is not None and proc.stderr is not None
    pgid = proc.pid  # start_new_session makes the step the leader of its own group
    readers = {
        proc.stdout.fileno(): _LineReader("stdout", on_line),
        proc.stderr.fileno(): _LineReader("stderr", on_line),
    }
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except OSError:  # older seccomp profiles (Docker < 20.10) forbid pidfd_open: poll instead
        pidfd = None
    selector = selectors.DefaultSelector()
    for fd in readers:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    if pidfd is not None:
        selector.register(pidfd, selectors.EVENT_READ)
    selector.register(cancel.wake_fd, selectors.EVENT_READ)

    timed_out = interrupted = killed = False
    term_sent_at: float | None = None

    def signal_group(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    try:
        exited = False
        while not exited:
            now = time.monotonic()
            if stop_on_interrupt and cancel.interrupted and term_sent_at is None:
                interrupted = True
                signal_group(signal.SIGTERM)
                term_sent_at = now
            if deadline is not None and now >= deadline and term_sent_at is None:
                timed_out = True
                signal_group(signal.SIGTERM)
                term_sent_at = now
            kill_at = _earliest(
                term_sent_at + kill_grace if term_sent_at is not None else None, cancel.hard_deadline
            )
            if kill_at is not None and now >= kill_at and not killed:
                interrupted = interrupted or cancel.interrupted
                signal_group(signal.SIGKILL)
                killed = True
            wake_at = _earliest(deadline if term_sent_at is None else None, None if killed else kill_at)
            timeout = None if wake_at is None else max(0.0, wake_at - time.monotonic())
            if pidfd is None:
                timeout = _POLL_SECONDS if timeout is None else min(timeout, _POLL_SECONDS)
                exited = _has_exited(proc.pid)
            for key, _ in selector.select(timeout):
                fd = key.fd
                if fd in readers:
                    if not readers[fd].read_from(fd):
                        selector.unregister(fd)
                elif fd == pidfd:
                    exited = True
                elif fd == cancel.wake_fd:
                    with contextlib.suppress(BlockingIOError):
                        os.read(fd, 64)
        # The leader is a zombie until we wait for it, so its group id cannot be reused yet:
        # end what the step left behind in its group, then collect the last output.
        signal_group(signal.SIGTERM)
        _drain(selector, readers)
        signal_group(signal.SIGKILL)
        returncode = proc.wait()
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)
        for reader in readers.values():
            reader.flush()
        proc.stdout.close()
        proc.stderr.close()
    return StepOutcome(exit_code=exit_code_of(returncode), timed_out=timed_out, interrupted=interrupted)


def _has_exited(pid: int) -> bool:
    """Whether the child has exited, without collecting it (its group id must stay reserved)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _earliest(*moments: float | None) -> float | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _drain(selector: selectors.BaseSelector, readers: dict[int, _LineReader]) -> None:
    """Read what is left in the pipes, until both are closed or no more comes for a moment."""
    open_fds = {fd for fd in readers if fd in selector.get_map()}
    end = time.monotonic() + _DRAIN_SECONDS
    while open_fds:
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        for key, _ in selector.select(remaining):
            if key.fd in open_fds and not readers[key.fd].read_from(key.fd):
                selector.unregister(key.fd)
                open_fds.discard(key.fd)


class _LineReader:
    """Splits a pipe's bytes into lines (decoded as UTF-8, invalid bytes replaced).

    A line longer than 64 KiB is passed on cut, with `cut=True` (so that the masker can hide a secret
    that the cut splits), and the rest of it is dropped.
    """

    def __init__(self, stream: str, on_line: Callable[..., None]) -> None:
        self.stream = stream
        self.on_line = on_line
        self.buffer = b""
        self.dropping = False  # inside the rest of a line that was cut

    def read_from(self, fd: int) -> bool:
        """Read what is available; False at end of file."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        *lines, rest = (self.buffer + chunk).split(b"\n")
        for line in lines:
            if self.dropping:
                self.dropping = False  # the end of the cut line
            else:
                self._emit(line)
        if self.dropping:
            rest = b""
        elif len(rest) > _MAX_LINE:
            self._emit(rest)
            rest, self.dropping = b"", True
        self.buffer = rest
        return True

    def flush(self) -> None:
        if self.buffer and not self.dropping:
            self._emit(self.buffer)
        self.buffer = b""

    def _emit(self, raw: bytes) -> None:
        cut = len(raw) > _MAX_LINE
        text = raw[:_MAX_LINE].decode("utf-8", errors="replace").rstrip("\r")
        if cut:
            self.on_line(self.stream, text, cut=True)
        else:
            self.on_line(self.stream, text)
