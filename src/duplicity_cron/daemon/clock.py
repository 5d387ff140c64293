"""The time as the scheduler sees it: wall clock for due times, monotonic clock for intervals, and a
sleep that a stop request (from a signal handler) cuts short. Tests give the scheduler a fake one.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The wall-clock time, aware, in UTC."""
        ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, or until `wake` is called."""
        ...

    def wake(self) -> None:
        """End the current (or the next) sleep early; safe in a signal handler."""
        ...


class SystemClock:
    def __init__(self) -> None:
        # A signal handler may only set a flag and write to this pipe: taking a lock there can deadlock.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        select.select([self._wake_r], [], [], seconds)
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 64)

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")
