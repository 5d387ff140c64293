"""When a running step is told to stop: SIGTERM at its deadline or on a shutdown, SIGKILL after the kill
grace or at the shutdown's hard deadline. Pure: the supervisor feeds it the time and does the sending.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass


def earliest(*moments: float | None) -> float | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


@dataclass
class Escalation:
    """The stop state of one step. `deadline` and times are monotonic seconds."""

    deadline: float | None
    kill_grace: float
    stop_on_interrupt: bool  # False for hooks, which only the hard deadline bounds
    timed_out: bool = False
    interrupted: bool = False
    killed: bool = False
    term_sent_at: float | None = None

    def update(
        self, now: float, interrupt_requested: bool, hard_deadline: float | None
    ) -> tuple[list[signal.Signals], float | None]:
        """The signals to send to the step's group now, and when to look again (None: not before
        something else happens: output, the step's exit, an interrupt)."""
        signals = []
        if self.term_sent_at is None:
            if self.stop_on_interrupt and interrupt_requested:
                self.interrupted = True
                self.term_sent_at = now
            elif self.deadline is not None and now >= self.deadline:
                self.timed_out = True
                self.term_sent_at = now
            if self.term_sent_at is not None:
                signals.append(signal.SIGTERM)
        kill_at = earliest(
            self.term_sent_at + self.kill_grace if self.term_sent_at is not None else None, hard_deadline
        )
        if kill_at is not None and now >= kill_at and not self.killed:
            self.interrupted = self.interrupted or interrupt_requested
            signals.append(signal.SIGKILL)
            self.killed = True
        wake_at = earliest(
            self.deadline if self.term_sent_at is None else None, None if self.killed else kill_at
        )
        return signals, wake_at
