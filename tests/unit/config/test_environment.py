"""Env files, parsed purely: every line that cannot be used is a problem naming the file and the line;
nothing is dropped silently, and no problem quotes a value."""

from __future__ import annotations

import pytest

from duplicity_cron.config.environment import parse_env_file

PATH = "/etc/backup.env"
SECRET = "s3cr3t-value"


def problems(text: str) -> list[str]:
    return list(parse_env_file(text, PATH).problems)


def single(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_a_good_file_has_no_problem() -> None:
    env_file = parse_env_file(
        "# comment\n\nA=1\nexport B=2\nC='x y'\nD=\"multi\nline\"\nBARE\nE= spaced \n", PATH
    )
    assert env_file.problems == ()
    assert env_file.values == {"A": "1", "B": "2", "C": "x y", "D": "multi\nline", "E": "spaced"}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (f'A=1\nPASSPHRASE="{SECRET}\nB=2\n', 2, "PASSPHRASE: the value's opening \" is never closed"),
        (f"A=1\n\nPASSPHRASE='{SECRET}\n", 3, "PASSPHRASE: the value's opening ' is never closed"),
        ("A=1\nexport\nB=2\n", 2, "'export' without NAME=value"),
        (f"={SECRET}\n", 1, "no variable name before '='"),
        (f"   = {SECRET}\n", 1, "no variable name before '='"),
        (f"A=1\nPASSPHRASE {SECRET}\n", 2, "expected NAME=value"),
        (f"PASSPHRASE: {SECRET}\n", 1, "expected NAME=value"),
        (f'PASSPHRASE="{SECRET}" more\n', 1, "PASSPHRASE: text after the value's closing \""),
        (f"PASSPHRASE='{SECRET}'x\n", 1, "PASSPHRASE: text after the value's closing '"),
        (f"A B={SECRET}\n", 1, "expected NAME=value"),
    ],
)
def test_each_kind_of_bad_line_names_the_file_and_the_line(text: str, line: int, reason: str) -> None:
    problem = single(text)
    assert problem.startswith(f"--env-file {PATH}:{line}: {reason}"), problem
    assert SECRET not in problem


def test_the_good_lines_around_a_bad_one_are_kept() -> None:
    env_file = parse_env_file('A=1\nB="open\nC=3\n', PATH)
    assert env_file.values == {"A": "1", "C": "3"}
    assert [problem.split(": ", 1)[0] for problem in env_file.problems] == [f"--env-file {PATH}:2"]


def test_every_bad_line_is_reported_in_order() -> None:
    text = "export\nA=1\n=x\nB y\nC='open\nD=4\n"
    assert [problem.split(": ", 1)[0] for problem in problems(text)] == [
        f"--env-file {PATH}:{line}" for line in (1, 3, 4, 5)
    ]


def test_a_quote_closed_lines_later_before_more_text_names_both_lines() -> None:
    problem = single('A="open\nTASK_db_LOAD="echo hi"\n')
    assert problem.startswith(f"--env-file {PATH}:1: A: the value's opening \" is closed only on line 2")


def test_a_quoted_value_swallowing_our_variables_is_a_problem() -> None:
    problem = single('TASK_a_LOAD="echo a\nTASK_b_CRONTAB=@daily\nTASK_b_LOAD="\n')
    assert problem.startswith(f"--env-file {PATH}:1: TASK_a_LOAD: its quoted value runs on to line 2")


def test_a_multi_line_value_of_other_text_is_fine() -> None:
    key = "-----BEGIN KEY-----\nMIIBVQIBADANBgkq=\nAbCd==\n-----END KEY-----"
    config = "[remote]\ntype=s3\nregion = eu"
    env_file = parse_env_file(f'SSH_KEY="{key}"\nRCLONE="{config}"\n', PATH)
    assert env_file.problems == ()
    assert env_file.values == {"SSH_KEY": key, "RCLONE": config}


def test_a_variable_set_twice_in_one_file_is_a_problem() -> None:
    problem = single("A=1\nB=2\nA=3\n")
    assert problem == f"--env-file {PATH}:3: A: already set on line 1 of this file; keep one"


def test_a_nul_character_is_a_problem() -> None:
    problem = single(f"A=1\nPASSPHRASE={SECRET}\0x\n")
    assert problem.startswith(f"--env-file {PATH}:2: PASSPHRASE: contains a NUL character")
    assert SECRET not in problem


@pytest.mark.parametrize("line", ["A:1", 'word"', "a/b"])
def test_a_bare_word_that_is_no_variable_name_is_a_problem(line: str) -> None:
    assert single(f"{line}\n").startswith(f"--env-file {PATH}:1: expected NAME=value")


@pytest.mark.parametrize("line", ["BARE", "TASK_my-db_LOAD", "export NAME", "_x.y"])
def test_a_bare_name_passes_the_host_variable_and_takes_nothing(line: str) -> None:
    assert parse_env_file(f"{line}\n", PATH) == parse_env_file("", PATH)


def test_crlf_lines_and_a_byte_order_mark_are_read() -> None:
    env_file = parse_env_file("\ufeffA=1\r\nB='x'\r\n", PATH)
    assert env_file.problems == ()
    assert env_file.values == {"A": "1", "B": "x"}


def test_line_numbers_count_blank_lines_and_comments_before_the_line() -> None:
    text = "A=1\n\n\n# a comment\n\n  \nexport\n\r\n\nB='open\n"
    assert [problem.split(": ", 1)[0] for problem in problems(text)] == [
        f"--env-file {PATH}:7",
        f"--env-file {PATH}:10",
    ]
