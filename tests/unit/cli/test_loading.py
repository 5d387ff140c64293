"""Env files layered over the process environment, `*_FILE` secrets, and the masker built from them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from duplicity_cron.cli import loading
from duplicity_cron.cli.loading import build_environment, load, read_env_file
from duplicity_cron.config import ConfigError
from duplicity_cron.config.secrets import MASK, MAX_SECRET_FILE_BYTES


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- env files ----------------------------------------------------------------------------------


def test_env_file_syntax(tmp_path: Path) -> None:
    path = write(
        tmp_path / "env",
        "# a comment line\n"
        "\n"
        "PLAIN=value\n"
        "SPACES=value with spaces\n"
        'DOUBLE="double quoted # not a comment"\n'
        "SINGLE='single $HOME quoted'\n"
        "URL=postgres://user:pw@host/db?sslmode=require&x=1\n"
        "EMPTY=\n"
        "   # an indented comment\n"
        'TASK_db_LOAD=duplicity "$SRC" file:///backup\n'
        "BARE_NAME\n",
    )
    assert read_env_file(path) == {
        "PLAIN": "value",
        "SPACES": "value with spaces",
        "DOUBLE": "double quoted # not a comment",
        "SINGLE": "single $HOME quoted",
        "URL": "postgres://user:pw@host/db?sslmode=require&x=1",
        "EMPTY": "",
        "TASK_db_LOAD": 'duplicity "$SRC" file:///backup',
    }


def test_env_file_does_not_interpolate(tmp_path: Path) -> None:
    path = write(tmp_path / "env", 'A=1\nB=${A}2\nC="$A"\n')
    assert read_env_file(path) == {"A": "1", "B": "${A}2", "C": "$A"}


def test_missing_env_file_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    with pytest.raises(ConfigError) as info:
        read_env_file(str(missing))
    assert str(missing) in info.value.problems[0]
    with pytest.raises(ConfigError):
        build_environment({}, [str(missing)])


def test_env_file_syntax_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "env", "A=1\nexport\nB='open\nC=3\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(path)
    assert [problem.split(": ", 1)[0] for problem in info.value.problems] == [
        f"--env-file {path}:2",
        f"--env-file {path}:3",
    ]


def test_problems_of_every_env_file_are_reported_together(tmp_path: Path) -> None:
    first = write(tmp_path / "first.env", "=x\n")
    second = write(tmp_path / "second.env", "A=1\nB y\n")
    missing = str(tmp_path / "missing.env")
    with pytest.raises(ConfigError) as info:
        build_environment({}, [first, missing, second])
    assert [problem.split(": ", 1)[0] for problem in info.value.problems] == [
        f"--env-file {first}:1",
        f"--env-file {missing}",
        f"--env-file {second}:2",
    ]


def test_load_reports_env_file_lines_with_the_other_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables of the good lines count: TASK_db_LOAD defines the task, whose CRONTAB is bad."""
    path = write(tmp_path / "env", "TASK_db_LOAD=true\nTASK_db_CRONTAB=61 * * * *\nTASK_x_PREPARE='open\n")
    monkeypatch.setattr(os, "environ", {"PASSPHRASE_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError) as info:
        load([path])
    assert [problem.split(": ", 1)[0] for problem in info.value.problems] == [
        f"--env-file {path}:3",
        "PASSPHRASE_FILE",
        "TASK_db_CRONTAB",
    ]


def test_env_file_wins_over_the_process_environment(tmp_path: Path) -> None:
    path = write(tmp_path / "env", "A=from-file\n")
    env = build_environment({"A": "from-process", "B": "kept"}, [path])
    assert env.values["A"] == "from-file"
    assert env.values["B"] == "kept"


def test_later_env_file_wins_over_earlier(tmp_path: Path) -> None:
    first = write(tmp_path / "first.env", "A=first\nB=first\n")
    second = write(tmp_path / "second.env", "B=second\nC=second\n")
    env = build_environment({"A": "process", "B": "process", "D": "process"}, [first, second])
    assert {k: env.values[k] for k in "ABCD"} == {"A": "first", "B": "second", "C": "second", "D": "process"}
    env = build_environment({}, [second, first])
    assert env.values["B"] == "first"


def test_base_environment_is_not_modified(tmp_path: Path) -> None:
    secret = write(tmp_path / "pass", "hunter2\n")
    base = {"PASSPHRASE_FILE": secret, "A": "1"}
    build_environment(base, [write(tmp_path / "env", "A=2\n")])
    assert base == {"PASSPHRASE_FILE": secret, "A": "1"}


# --- *_FILE through the environment -------------------------------------------------------------


def test_secret_file_sets_the_variable_and_is_masked(tmp_path: Path) -> None:
    secret = write(tmp_path / "pass", "correct horse battery\n")
    env = build_environment({"PASSPHRASE_FILE": secret})
    assert env.values["PASSPHRASE"] == "correct horse battery"
    assert env.problems == ()
    assert env.mask("using correct horse battery now") == f"using {MASK} now"


def test_secret_file_named_in_an_env_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "pg", "pg-pass\n")
    env_file = write(tmp_path / "env", f"PGPASSWORD_FILE={secret}\n")
    env = build_environment({}, [env_file])
    assert env.values["PGPASSWORD"] == "pg-pass"
    assert env.mask("PGPASSWORD=pg-pass") == f"PGPASSWORD={MASK}"


def test_variable_set_wins_over_its_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "pass", "from-file\n")
    env = build_environment({"PASSPHRASE": "from-env", "PASSPHRASE_FILE": secret})
    assert env.values["PASSPHRASE"] == "from-env"
    assert env.problems == ()
    assert env.mask("from-env") == MASK


def test_variable_in_env_file_wins_over_file_in_process_env(tmp_path: Path) -> None:
    secret = write(tmp_path / "pass", "from-file\n")
    env_file = write(tmp_path / "env", "PASSPHRASE=from-env-file\n")
    env = build_environment({"PASSPHRASE_FILE": secret}, [env_file])
    assert env.values["PASSPHRASE"] == "from-env-file"


def test_multi_line_secret_file_is_masked_line_by_line(tmp_path: Path) -> None:
    key = "\n".join(
        [
            "-----BEGIN PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEF",
            "AASCBKcwggSjAgEAAoIBAQC7",
            "-----END PRIVATE KEY-----",
        ]
    )
    path = write(tmp_path / "key", key + "\n")
    env = build_environment({"SSH_KEY_FILE": path})
    assert env.values["SSH_KEY"] == key
    for line in key.splitlines():
        assert env.mask(f"step printed {line}") == f"step printed {MASK}"


def test_unreadable_secret_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    env = build_environment({"PASSPHRASE_FILE": str(missing), "BACKEND_PASSWORD_FILE": str(tmp_path)})
    assert sorted(problem.split(":", 1)[0] for problem in env.problems) == [
        "BACKEND_PASSWORD_FILE",
        "PASSPHRASE_FILE",
    ]
    assert "PASSPHRASE" not in env.values


def test_other_file_variables_pointing_nowhere_are_ignored(tmp_path: Path) -> None:
    env = build_environment(
        {"SSL_CERT_FILE": str(tmp_path / "missing.pem"), "TF_CLI_CONFIG_FILE": str(tmp_path / "nope")}
    )
    assert env.problems == ()
    assert "SSL_CERT" not in env.values
    assert "TF_CLI_CONFIG" not in env.values


# --- what a secret file may be ---------------------------------------------------------------


def secret_problem(path: Path | str) -> str:
    """The one problem of a PASSPHRASE_FILE naming `path`; its value is not set."""
    env = build_environment({"PASSPHRASE_FILE": str(path)})
    assert "PASSPHRASE" not in env.values
    [problem] = env.problems
    assert problem.startswith(f"PASSPHRASE_FILE: cannot use {path}: ")
    return problem


def test_a_secret_file_of_up_to_1_mib_is_read(tmp_path: Path) -> None:
    assert MAX_SECRET_FILE_BYTES == 1024 * 1024
    path = tmp_path / "key.asc"
    line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\n"
    body = line * (MAX_SECRET_FILE_BYTES // len(line))
    path.write_text(body + "x" * (MAX_SECRET_FILE_BYTES - len(body)), encoding="ascii")
    assert path.stat().st_size == MAX_SECRET_FILE_BYTES
    env = build_environment({"PASSPHRASE_FILE": str(path)})
    assert env.problems == ()
    assert len(env.values["PASSPHRASE"]) == MAX_SECRET_FILE_BYTES


@pytest.mark.parametrize("size", [MAX_SECRET_FILE_BYTES + 1, 2 * 1024 * 1024])
def test_a_larger_secret_file_is_an_error_naming_the_limit(tmp_path: Path, size: int) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"y" * size)
    assert secret_problem(path).endswith("it is larger than 1 MiB, the limit for a secret file")


def test_a_directory_is_not_a_secret_file(tmp_path: Path) -> None:
    assert secret_problem(tmp_path).endswith("it is not a regular file but a directory")


def test_a_device_is_not_a_secret_file() -> None:
    assert secret_problem("/dev/null").endswith("it is not a regular file but a character device")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # Should the reader wait for a writer, this one comes: the test then fails instead of hanging.
    writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
    writer.start()
    problem = secret_problem(fifo)
    keep_open = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer through, whenever it opens
    writer.join()
    os.close(keep_open)
    assert problem.endswith("it is not a regular file but a FIFO")


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_an_empty_secret_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty"
    path.write_bytes(content)
    assert "it is empty" in secret_problem(path)


def test_a_symlink_to_a_secret_file_is_followed(tmp_path: Path) -> None:
    """Kubernetes mounts secrets as symlinks into a ..data folder."""
    (tmp_path / "..data").mkdir()
    write(tmp_path / "..data" / "pp", "through a link\n")
    (tmp_path / "pp").symlink_to(tmp_path / "..data" / "pp")
    env = build_environment({"PASSPHRASE_FILE": str(tmp_path / "pp")})
    assert env.values["PASSPHRASE"] == "through a link"


def test_a_missing_secret_file_says_why(tmp_path: Path) -> None:
    env = build_environment({"PASSPHRASE_FILE": str(tmp_path / "missing")})
    assert env.problems == (
        f"PASSPHRASE_FILE: cannot read {tmp_path / 'missing'}: No such file or directory",
    )


# --- masking of the whole environment -----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["PASSPHRASE", "PGPASSWORD", "MY_PASSWORD_2", "AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN", "B2_KEY"],
)
def test_secret_variables_are_masked(name: str) -> None:
    env = build_environment({name: "v4lue-to-hide", "USER": "backup"})
    assert env.mask(f"{name}=v4lue-to-hide user=backup") == f"{name}={MASK} user=backup"


def test_secret_variables_from_env_file_are_masked(tmp_path: Path) -> None:
    env_file = write(tmp_path / "env", 'PASSPHRASE="quoted pass"\nFTP_PASSWORD=ftp-pw\n')
    env = build_environment({}, [env_file])
    assert env.mask("quoted pass / ftp-pw") == f"{MASK} / {MASK}"


def test_non_secret_values_are_not_masked() -> None:
    env = build_environment({"USER": "backup", "HOST": "db.example", "AWS_ACCESS_KEY_ID": "AKIA123"})
    assert env.mask("backup@db.example AKIA123") == "backup@db.example AKIA123"


def _program(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("#!/bin/sh\n")
    (folder / name).chmod(0o755)


def test_the_venvs_own_duplicity_is_found_when_path_has_none(tmp_path: Path) -> None:
    venv, system = tmp_path / "venv" / "bin", tmp_path / "usr" / "bin"
    _program(venv, "duplicity")
    system.mkdir(parents=True)
    found = loading.with_own_duplicity({"PATH": str(system), "X": "1"}, str(venv / "python"))
    assert found == {"PATH": f"{system}:{venv}", "X": "1"}


def test_a_duplicity_on_path_wins_and_none_anywhere_changes_nothing(tmp_path: Path) -> None:
    venv, system = tmp_path / "venv" / "bin", tmp_path / "usr" / "bin"
    _program(venv, "duplicity")
    _program(system, "duplicity")
    values = {"PATH": str(system)}
    assert loading.with_own_duplicity(values, str(venv / "python")) is values
    bare = tmp_path / "bare" / "bin"
    bare.mkdir(parents=True)
    values = {"PATH": str(bare)}
    assert loading.with_own_duplicity(values, str(tmp_path / "nothing" / "python")) is values
