"""Log lines: text and JSON formats, framing with time/task/step, masking, run summaries."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from duplicity_cron.config.secrets import MASK, Masker
from duplicity_cron.log import Log
from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.views.summary import summary_fields, summary_text

# A fixed-offset zone: the offset printed is known whatever the current time is.
ZONE = timezone(timedelta(hours=5, minutes=30))
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30"
SECRET = "hunter2"
START = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)


def summarize(log: Log, result: RunResult) -> None:
    """The summary line as the runner writes it."""
    log.summary(result.task, summary_text(result), result.succeeded, summary_fields(result))


def make(fmt: str = "text") -> tuple[Log, io.StringIO]:
    stream = io.StringIO()
    return Log(Masker([SECRET]), ZONE, fmt, stream), stream


def lines(stream: io.StringIO) -> list[str]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return text.splitlines()


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in lines(stream)]


def run_result(status: Status, exit_code: int = 0, failed_step: str | None = None) -> RunResult:
    return RunResult(
        task="my_db",
        status=status,
        trigger=Trigger.EXEC,
        started=START,
        ended=START + timedelta(seconds=90),
        exit_code=exit_code,
        failed_step=failed_step,
    )


# --- text ---------------------------------------------------------------------------------------


def test_text_event_with_task_and_step() -> None:
    log, stream = make()
    log.event("starting", task="my_db", step="load")
    [line] = lines(stream)
    assert re.fullmatch(rf"{TIME} \[my_db/load\] starting", line), line
    assert datetime.fromisoformat(line.split(" ", 1)[0]).utcoffset() == timedelta(hours=5, minutes=30)


def test_text_event_with_task_only_and_without_task() -> None:
    log, stream = make()
    log.event("run started", task="my_db")
    log.event("scheduler ready")
    first, second = lines(stream)
    assert re.fullmatch(rf"{TIME} \[my_db\] run started", first), first
    assert re.fullmatch(rf"{TIME} scheduler ready", second), second


@pytest.mark.parametrize("level", ["warning", "error"])
def test_text_warning_and_error_are_marked(level: str) -> None:
    log, stream = make()
    log.event("overlap: skipped", task="t", level=level)
    [line] = lines(stream)
    assert re.fullmatch(rf"{TIME} \[t\] {level.upper()}: overlap: skipped", line), line


def test_text_output_lines_carry_task_and_step_and_mark_stderr() -> None:
    log, stream = make()
    log.output("my_db", "extract", "stdout", "dumping")
    log.output("my_db", "extract", "stderr", "warning: x")
    out, err = lines(stream)
    assert re.fullmatch(rf"{TIME} \[my_db/extract\] dumping", out), out
    assert re.fullmatch(rf"{TIME} \[my_db/extract\]! warning: x", err), err


def test_text_summary_has_status_duration_exit_code_and_failed_step() -> None:
    log, stream = make()
    summarize(log, run_result(Status.FAILED, exit_code=3, failed_step="load"))
    summarize(log, run_result(Status.SUCCEEDED))
    failed, ok = lines(stream)
    assert re.fullmatch(rf"{TIME} \[my_db\] .*", failed), failed
    for part in ("failed", "1m30s", "exit code 3", "load"):
        assert part in failed
    assert "succeeded" in ok
    assert "exit code 0" in ok
    assert "failed step" not in ok


# --- JSON ---------------------------------------------------------------------------------------


def test_json_event_fields() -> None:
    log, stream = make("json")
    log.event("starting", task="my_db", step="load")
    [record] = records(stream)
    assert record["task"] == "my_db"
    assert record["step"] == "load"
    assert record["message"] == "starting"
    assert record["level"] == "info"
    assert datetime.fromisoformat(record["time"]).utcoffset() == timedelta(hours=5, minutes=30)


def test_json_event_extra_fields() -> None:
    log, stream = make("json")
    log.event("skipped", task="t", level="warning", event="overlap")
    [record] = records(stream)
    assert record["event"] == "overlap"
    assert record["level"] == "warning"


def test_json_output_line_fields() -> None:
    log, stream = make("json")
    log.output("my_db", "transform", "stderr", 'odd "quotes", tabs\tand ünicode')
    [record] = records(stream)
    assert record["task"] == "my_db"
    assert record["step"] == "transform"
    assert record["stream"] == "stderr"
    assert record["message"] == 'odd "quotes", tabs\tand ünicode'
    assert "time" in record


def test_json_message_with_newline_stays_one_line() -> None:
    log, stream = make("json")
    log.event("two\nlines", task="t")
    [record] = records(stream)
    assert record["message"] == "two\nlines"


def test_json_summary_fields() -> None:
    log, stream = make("json")
    summarize(log, run_result(Status.TIMED_OUT, exit_code=143, failed_step="extract"))
    [record] = records(stream)
    assert record["task"] == "my_db"
    assert record["status"] == "timed_out"
    assert record["duration"] == 90
    assert record["exit_code"] == 143
    assert record["failed_step"] == "extract"
    assert record["level"] == "error"
    assert "time" in record
    assert "message" in record


def test_json_summary_of_success() -> None:
    log, stream = make("json")
    summarize(log, run_result(Status.SUCCEEDED))
    [record] = records(stream)
    assert record["status"] == "succeeded"
    assert record["exit_code"] == 0
    assert record["level"] == "info"


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_reach_the_stream(fmt: str) -> None:
    log, stream = make(fmt)
    log.event(f"connecting with {SECRET}", task="t", step="load")
    returned = log.output("t", "load", "stdout", f"PASSPHRASE={SECRET}")
    log.output("t", "load", "stderr", f"{SECRET}{SECRET}")
    assert SECRET not in stream.getvalue()
    assert returned == f"PASSPHRASE={MASK}"
    assert MASK in stream.getvalue()


def test_mask_method_uses_the_masker() -> None:
    log, _ = make()
    assert log.mask(f"a {SECRET} b") == f"a {MASK} b"


# --- robustness ---------------------------------------------------------------------------------


def test_concurrent_writers_produce_whole_lines() -> None:
    log, stream = make("json")

    def write(worker: int) -> None:
        for i in range(200):
            log.output(f"task{worker}", "load", "stdout", f"line {i} " + "x" * 200)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parsed = records(stream)
    assert len(parsed) == 8 * 200
    for worker in range(8):
        mine = [r["message"].split(" ")[1] for r in parsed if r["task"] == f"task{worker}"]
        assert mine == [str(i) for i in range(200)]


def test_closed_stream_does_not_raise() -> None:
    log, stream = make()
    stream.close()
    log.event("nobody listens", task="t")


# --- control characters -------------------------------------------------------------------------

NASTY = "a\x1b[2J\x1b]0;owned\x07b\rc\x08d\x00e\x7ff\x9bg\u202eh\u2028i\tj"
SHOWN = r"a\x1b[2J\x1b]0;owned\x07b\x0dc\x08d\x00e\x7ff\x9bg\u202eh\u2028i" + "\tj"


def test_text_output_and_events_escape_control_characters() -> None:
    log, stream = make()
    returned = log.output("t", "load", "stdout", NASTY)
    log.event(NASTY, task="t", level="warning")
    out, event = lines(stream)
    assert out.endswith(f"[t/load] {SHOWN}"), out
    assert event.endswith(f"[t] WARNING: {SHOWN}"), event
    assert returned == NASTY  # the tail keeps the text as printed (masked); views escape it when shown
    assert not any(c in stream.getvalue() for c in "\x1b\x00\r\x08\x7f\x9b\u202e\u2028")


def test_json_lines_escape_control_characters_and_keep_the_text() -> None:
    log, stream = make("json")
    log.output("t", "load", "stderr", NASTY)
    assert not any(c in stream.getvalue() for c in "\x1b\x00\r\x08\x7f\x9b\u202e\u2028")
    [record] = records(stream)
    assert record["message"] == NASTY


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_with_control_characters_is_still_masked(fmt: str) -> None:
    stream = io.StringIO()
    log = Log(Masker(["hun\x1bter2", "pa\x00ss"]), ZONE, fmt, stream)
    log.output("t", "load", "stdout", "x hun\x1bter2 y pa\x00ss z")
    [line] = lines(stream)
    message = json.loads(line)["message"] if fmt == "json" else line.split(" [t/load] ", 1)[1]
    assert message == f"x {MASK} y {MASK} z"


def test_a_secret_that_reads_like_an_escape_is_masked_in_the_escaped_line() -> None:
    """Escaping the raw ESC would otherwise print the secret's very text."""
    stream = io.StringIO()
    log = Log(Masker([r"\x1bsecret"]), ZONE, "text", stream)
    log.output("t", "load", "stdout", "a \x1bsecret b")
    [line] = lines(stream)
    assert line.endswith(f"[t/load] a {MASK} b"), line
