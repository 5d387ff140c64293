"""What reaches a terminal: a step's control characters are escaped in the text log and in `status
TASK`'s replay of the history, masking still holds, and skipped occurrences show as skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from duplicity_cron.model import RunResult, Status, Trigger
from duplicity_cron.state import history

RAW = ("\x1b", "\x00", "\r", "\x08", "\x07", "\x9b", "\x7f")
STEP = r"printf 'red \033[31mtext\033[0m bell \a nul \000 cr \r bs \b c1 \302\233 del \177 tab \t end\n'"
SHOWN = r"red \x1b[31mtext\x1b[0m bell \x07 nul \x00 cr \x0d bs \x08 c1 \x9b del \x7f tab " + "\t end"


def test_step_output_is_escaped_in_the_log_and_in_the_status_replay(cli):
    env = {"TASK_t_LOAD": STEP, "TASK_t_CRONTAB": "@daily"}
    result = cli("exec", "t", env=env)
    assert result.returncode == 0, result.output
    assert f"[t/load] {SHOWN}\n" in result.stdout
    assert not any(c in result.stdout for c in RAW)

    details = cli("status", "t", env=env)
    assert details.returncode == 0, details.output
    assert f"  {SHOWN}" in details.stdout.splitlines()
    assert not any(c in details.stdout for c in RAW)

    as_json = cli("status", "--json", env=env)
    assert as_json.stdout.isascii()  # JSON escapes every control character itself
    tail = json.loads(as_json.stdout)["tasks"][0]["last_run"]["output_tail"]
    assert tail[-1].startswith("red \x1b[31mtext")  # the recorded text, unchanged


def test_json_log_lines_carry_no_raw_control_character(cli):
    result = cli("exec", "t", env={"TASK_t_LOAD": STEP, "CONF_LOG_FORMAT": "json"})
    assert result.returncode == 0, result.output
    assert not any(c in result.stdout for c in RAW)
    messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    assert any(message.startswith("red \x1b[31mtext\x1b[0m bell \x07") for message in messages)


def test_a_secret_with_a_control_character_stays_masked(cli, tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"ab\x1bcd-s3cr3t\n")
    env = {"SOME_PASSWORD_FILE": str(secret), "TASK_t_LOAD": 'echo "x $SOME_PASSWORD y"'}
    result = cli("exec", "t", env=env)
    assert "[t/load] x *** y\n" in result.stdout
    details = cli("status", "t", env=env)
    assert "  x *** y" in details.stdout.splitlines()
    for output in (result.output, details.output):
        assert "s3cr3t" not in output and r"ab\x1bcd" not in output


def test_status_shows_the_runs_that_ran_and_counts_the_skips(cli, work_dir):
    state = work_dir.parent / "state"
    start = datetime.now(UTC) - timedelta(hours=3)
    for index in range(3):
        moment = start + timedelta(minutes=index)
        history.record(state, RunResult("t", Status.SUCCEEDED, Trigger.SCHEDULE, moment, moment, 0))
    for second in range(25):  # more than the 10 recent runs shown
        moment = start + timedelta(hours=1, seconds=second)
        history.record(state, RunResult("t", Status.SKIPPED, Trigger.SCHEDULE, moment, moment, 0))
    env = {"TASK_t_LOAD": "true", "TASK_t_CRONTAB": "@daily"}
    text = cli("status", "t", env=env).stdout
    assert text.count("succeeded") == 4  # the table's last run, and the three runs
    [line] = [line for line in text.splitlines() if "skipped" in line]
    assert line.startswith("  25 occurrence(s) skipped since the last run, the newest at ")
    assert "exit" not in line
    entry = json.loads(cli("status", "--json", env=env).stdout)["tasks"][0]
    assert [run["status"] for run in entry["recent_runs"]] == ["succeeded"] * 3
    assert entry["skipped_since_last_run"] == 25


def test_status_escapes_what_a_damaged_record_holds(cli, work_dir):
    state = work_dir.parent / "state"
    moment = datetime.now(UTC)
    run = RunResult("t", Status.FAILED, Trigger.SCHEDULE, moment, moment, 1, "lo\x1b]0;x\x07ad", ("a\rb",))
    history.record(state, run)
    text = cli("status", "t", env={"TASK_t_LOAD": "true"}).stdout
    assert r"at lo\x1b]0;x\x07ad" in text and r"  a\x0db" in text.splitlines()
    assert not any(c in text for c in RAW)


def test_a_state_folder_name_with_control_characters_is_escaped_in_warnings(cli, tmp_path: Path):
    state = tmp_path / "st\x1bate"
    state.write_text("a file")
    result = cli("status", env={"TASK_t_LOAD": "true", "CONF_STATE_DIR": str(state)})
    assert r"st\x1bate is not a folder" in result.stderr and "\x1b" not in result.stderr
    health = cli("healthcheck", env={"CONF_STATE_DIR": str(state)})
    assert r"st\x1bate is not a folder" in health.stdout and "\x1b" not in health.stdout
