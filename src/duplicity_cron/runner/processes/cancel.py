"""Cancellation of a run by a shutdown, and the one place SIGTERM and SIGINT handlers are installed."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signals(handler: Callable[[int, FrameType | None], None]) -> None:
    """Call `handler` on SIGTERM and SIGINT. A handler may only set flags and write to a pipe: it may
    interrupt the main thread inside a write to stdout or while it holds a lock."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)


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


@contextlib.contextmanager
def given_or_own(cancel: Cancel | None) -> Iterator[Cancel]:
    """`cancel`, or one of the caller's own for as long as it runs, closed after."""
    if cancel is not None:
        yield cancel
        return
    own = Cancel()
    try:
        yield own
    finally:
        own.close()
