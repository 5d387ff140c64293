from datetime import UTC, datetime, timedelta

import pytest

from duplicity_cron.runner.whole_seconds import CLOCK_TICK, seconds_to_wait

END = datetime(2026, 12, 6, 1, 11, 17, 400_000, tzinfo=UTC)


def test_no_previous_run_no_wait():
    assert seconds_to_wait(None, END) == 0.0


@pytest.mark.parametrize(
    ("after", "wait"),
    [
        (0.0, 0.6 + CLOCK_TICK),  # the previous run ended this instant
        (0.5, 0.1 + CLOCK_TICK),
        (0.59, 0.01 + CLOCK_TICK),
        (0.6, CLOCK_TICK),  # the next second began, but a file's time may still lag behind it
        (0.6 + CLOCK_TICK, 0.0),
        (0.9, 0.0),
        (3600.0, 0.0),
    ],
)
def test_waits_until_a_tick_past_the_second_the_previous_run_ended_in(after, wait):
    assert seconds_to_wait(END, END + timedelta(seconds=after)) == pytest.approx(wait, abs=1e-6)


def test_a_clock_set_back_waits_one_second_and_a_tick_at_most():
    assert seconds_to_wait(END, END - timedelta(hours=1)) == pytest.approx(1.0 + CLOCK_TICK)
