"""Running one step's process: `bash -c COMMAND` in its own process group, output streamed line by line.

One thread per step, no polling: a selector waits on the step's stdout and stderr, a pidfd that becomes
readable when the step exits, and a wake-up pipe through which a shutdown interrupts it. When to send
SIGTERM and SIGKILL is `escalation`'s decision.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import children
from .cancel import Cancel
from .escalation import Escalation
from .output_lines import LineReader

# How long output may keep coming after the step exited (a background job holding the pipe).
_DRAIN_SECONDS = 1.0
_POLL_SECONDS = 0.1  # only where pidfd_open is not allowed
# Longest single wait: epoll takes at most 2**31-1 ms; deadlines further away are reached in steps.
_MAX_WAIT = 3600.0


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
    keep_fds: tuple[int, ...] = (),
) -> StepOutcome:
    """Run `command` until it ends, `deadline` (monotonic) passes, or `cancel` interrupts it.

    At the deadline or on interrupt, the step's process group gets SIGTERM, then SIGKILL after
    `kill_grace`; at the cancel's hard deadline it gets SIGKILL. Hooks that must still run during a
    shutdown pass `stop_on_interrupt=False` and only the hard deadline bounds them.
    When the step ends, whatever it left running in its process group is ended too.
    `on_line(stream, text)` receives each output line, stream being "stdout" or "stderr"; a line cut
    at 64 KiB comes as `on_line(stream, text, cut=True)`. `keep_fds` are inherited by the step (the
    task lock); every other descriptor is closed in it.
    """
    try:
        proc = children.spawn(
            ["bash", "-c", command],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=keep_fds,
        )
    except OSError as exc:
        on_line("stderr", f"cannot start the step: {exc}")
        return StepOutcome(exit_code=127)
    try:
        return _supervise(proc, on_line, cancel, Escalation(deadline, kill_grace, stop_on_interrupt))
    except BaseException:
        # Never leave a step running unsupervised.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        children.release(proc.pid)


def _supervise(
    proc: subprocess.Popen[bytes], on_line: Callable[..., None], cancel: Cancel, escalation: Escalation
) -> StepOutcome:
    assert proc.stdout is not None and proc.stderr is not None
    pgid = proc.pid  # start_new_session makes the step the leader of its own group
    readers = {
        proc.stdout.fileno(): LineReader("stdout", on_line),
        proc.stderr.fileno(): LineReader("stderr", on_line),
    }
    selector, pidfd = _watch(proc.pid, readers, cancel.wake_fd)

    def signal_group(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    try:
        exited = False
        while not exited:
            signals, wake_at = escalation.update(time.monotonic(), cancel.interrupted, cancel.hard_deadline)
            for sig in signals:
                signal_group(sig)
            timeout = None if wake_at is None else min(_MAX_WAIT, max(0.0, wake_at - time.monotonic()))
            if pidfd is None:
                timeout = _POLL_SECONDS if timeout is None else min(timeout, _POLL_SECONDS)
                exited = _has_exited(proc.pid)
            for key, _ in selector.select(timeout):
                if key.fd in readers:
                    if not readers[key.fd].read_from(key.fd):
                        selector.unregister(key.fd)
                elif key.fd == pidfd:
                    exited = True
                elif key.fd == cancel.wake_fd:
                    with contextlib.suppress(BlockingIOError):
                        os.read(key.fd, 64)
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
    return StepOutcome(
        exit_code=exit_code_of(returncode), timed_out=escalation.timed_out, interrupted=escalation.interrupted
    )


def _watch(
    pid: int, readers: dict[int, LineReader], wake_fd: int
) -> tuple[selectors.BaseSelector, int | None]:
    """A selector on the output pipes, the wake-up pipe and, where allowed, a pidfd of the step."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except OSError:  # older seccomp profiles (Docker < 20.10) forbid pidfd_open: poll instead
        pidfd = None
    selector = selectors.DefaultSelector()
    for fd in readers:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    if pidfd is not None:
        selector.register(pidfd, selectors.EVENT_READ)
    selector.register(wake_fd, selectors.EVENT_READ)
    return selector, pidfd


def _has_exited(pid: int) -> bool:
    """Whether the child has exited, without collecting it (its group id must stay reserved)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _drain(selector: selectors.BaseSelector, readers: dict[int, LineReader]) -> None:
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
