"""When a step gets SIGTERM and SIGKILL: the deadline, an interrupt, the kill grace, the hard deadline."""

from __future__ import annotations

import signal

from duplicity_cron.runner.processes.escalation import Escalation, earliest

TERM, KILL = signal.SIGTERM, signal.SIGKILL


def test_nothing_before_the_deadline_and_a_wake_up_at_it() -> None:
    escalation = Escalation(deadline=10.0, kill_grace=5.0, stop_on_interrupt=True)
    assert escalation.update(3.0, False, None) == ([], 10.0)


def test_no_deadline_no_interrupt_means_wait_for_events() -> None:
    assert Escalation(None, 5.0, True).update(3.0, False, None) == ([], None)


def test_the_deadline_sends_term_then_kill_after_the_grace() -> None:
    escalation = Escalation(deadline=10.0, kill_grace=5.0, stop_on_interrupt=True)
    assert escalation.update(10.0, False, None) == ([TERM], 15.0)
    assert escalation.timed_out and not escalation.interrupted
    assert escalation.update(12.0, False, None) == ([], 15.0)  # TERM only once
    assert escalation.update(15.0, False, None) == ([KILL], None)
    assert escalation.killed
    assert escalation.update(20.0, False, None) == ([], None)  # KILL only once


def test_an_interrupt_sends_term_and_the_hard_deadline_kill() -> None:
    escalation = Escalation(deadline=100.0, kill_grace=5.0, stop_on_interrupt=True)
    assert escalation.update(1.0, True, 3.0) == ([TERM], 3.0)
    assert escalation.interrupted and not escalation.timed_out
    assert escalation.update(3.0, True, 3.0) == ([KILL], None)


def test_an_interrupt_wins_over_a_deadline_reached_at_the_same_time() -> None:
    escalation = Escalation(deadline=10.0, kill_grace=5.0, stop_on_interrupt=True)
    signals, _ = escalation.update(10.0, True, 18.0)
    assert signals == [TERM] and escalation.interrupted and not escalation.timed_out


def test_a_hook_ignores_the_interrupt_until_the_hard_deadline_kills_it() -> None:
    escalation = Escalation(deadline=None, kill_grace=5.0, stop_on_interrupt=False)
    assert escalation.update(1.0, True, 8.0) == ([], 8.0)
    assert escalation.update(8.0, True, 8.0) == ([KILL], None)
    assert escalation.interrupted and escalation.term_sent_at is None
    assert escalation.update(9.0, True, 8.0) == ([], None)  # no TERM after the KILL


def test_a_hook_still_times_out_at_its_own_deadline() -> None:
    escalation = Escalation(deadline=4.0, kill_grace=5.0, stop_on_interrupt=False)
    assert escalation.update(4.0, True, 20.0) == ([TERM], 9.0)
    assert escalation.timed_out and not escalation.interrupted


def test_earliest_ignores_missing_moments() -> None:
    assert earliest(None, 3.0, 2.0) == 2.0
    assert earliest(None, None) is None
