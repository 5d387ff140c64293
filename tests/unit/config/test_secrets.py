"""The secret-name rule, `*_FILE` resolution and masking."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from duplicity_cron.config.secrets import (
    MASK,
    Masker,
    SecretFileError,
    looks_secret,
    resolve_secret_files,
    secret_values,
)


def reader(files: dict[str, str]) -> tuple[Callable[[str], str], list[str]]:
    """A fake `read_file` over `files`, recording what it was asked to read."""
    asked: list[str] = []

    def read(path: str) -> str:
        asked.append(path)
        if path not in files:
            raise FileNotFoundError(2, "No such file or directory", path)
        return files[path]

    return read, asked


def read_real(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


# --- which names are secret ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "PASSPHRASE",
        "SIGN_PASSPHRASE",
        "PGPASSWORD",
        "BACKEND_PASSWORD",
        "MYSQL_PASSWORD_HASH",
        "FTP_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "CLIENT_SECRET",
        "GITHUB_TOKEN",
        "TOKEN",
        "SWIFT_AUTHTOKEN",
        "API_KEY",
        "B2_APPLICATION_KEY",
        "pgpassword",
        "api_key",
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "HOME",
        "TZ",
        "SSL_CERT_FILE",
        "KEY",
        "MONKEY",
        "KEYRING_BACKEND",
        "AWS_ACCESS_KEY_ID",
        "TASK_x_LOAD",
        "PASS",
    ],
)
def test_names_that_do_not_look_secret(name: str) -> None:
    assert not looks_secret(name)


# --- *_FILE -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["PASSPHRASE", "PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "BACKEND_PASSWORD", "GITHUB_TOKEN", "SSH_KEY"],
)
def test_secret_file_gives_the_variable_without_trailing_newline(name: str) -> None:
    read, asked = reader({"/run/secrets/s": "s3cret value\n"})
    resolved = resolve_secret_files({f"{name}_FILE": "/run/secrets/s"}, read)
    assert resolved.values == {name: "s3cret value"}
    assert resolved.errors == []
    assert asked == ["/run/secrets/s"]


@pytest.mark.parametrize(
    ("content", "value"),
    [
        ("plain", "plain"),
        ("one\n", "one"),
        ("two lines\nsecond\n", "two lines\nsecond"),
        ("  spaced  \n", "  spaced  "),
    ],
)
def test_only_the_trailing_newline_is_stripped(content: str, value: str) -> None:
    read, _ = reader({"/s": content})
    assert resolve_secret_files({"PASSPHRASE_FILE": "/s"}, read).values == {"PASSPHRASE": value}


def test_name_set_wins_over_its_file() -> None:
    read, asked = reader({"/s": "from file"})
    resolved = resolve_secret_files({"PASSPHRASE": "direct", "PASSPHRASE_FILE": "/s"}, read)
    assert "PASSPHRASE" not in resolved.values
    assert resolved.errors == []
    assert asked == []


def test_name_set_wins_even_when_its_file_is_missing() -> None:
    read, _ = reader({})
    resolved = resolve_secret_files({"PASSPHRASE": "direct", "PASSPHRASE_FILE": "/missing"}, read)
    assert resolved.errors == []
    assert resolved.values == {}


@pytest.mark.parametrize(
    "name", ["SSL_CERT_FILE", "TF_CLI_CONFIG_FILE", "PYTHONSTARTUP_FILE", "CURL_CA_BUNDLE_FILE", "KUBE_FILE"]
)
def test_other_programs_file_variables_are_left_alone(name: str) -> None:
    read, asked = reader({})
    resolved = resolve_secret_files({name: "/does/not/exist"}, read)
    assert resolved.values == {}
    assert resolved.errors == []
    assert asked == []  # not even read: some point at very large files


def test_unreadable_secret_file_is_an_error_naming_the_variable_and_path() -> None:
    read, _ = reader({})
    resolved = resolve_secret_files({"PGPASSWORD_FILE": "/run/secrets/pg"}, read)
    assert resolved.values == {}
    assert len(resolved.errors) == 1
    assert resolved.errors[0].startswith("PGPASSWORD_FILE:")
    assert "/run/secrets/pg" in resolved.errors[0]


def test_unreadable_secret_files_on_disk(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    directory = tmp_path / "a-directory"
    directory.mkdir()
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00bad")
    good = tmp_path / "good"
    good.write_text("fine\n", encoding="utf-8")
    env = {
        "PASSPHRASE_FILE": str(missing),
        "PGPASSWORD_FILE": str(directory),
        "AWS_SECRET_ACCESS_KEY_FILE": str(binary),
        "BACKEND_PASSWORD_FILE": str(good),
        "SSL_CERT_FILE": str(missing),
    }
    resolved = resolve_secret_files(env, read_real)
    assert resolved.values == {"BACKEND_PASSWORD": "fine"}
    assert sorted(error.split(":", 1)[0] for error in resolved.errors) == [
        "AWS_SECRET_ACCESS_KEY_FILE",
        "PASSPHRASE_FILE",
        "PGPASSWORD_FILE",
    ]
    for error in resolved.errors:
        assert str(tmp_path) in error


def test_empty_secret_file_path_is_an_error() -> None:
    read, _ = reader({})
    resolved = resolve_secret_files({"PASSPHRASE_FILE": ""}, read)
    assert [error.split(":", 1)[0] for error in resolved.errors] == ["PASSPHRASE_FILE"]


@pytest.mark.parametrize("content", ["", "\n", "\r\n", "  \n", "\t \n\n"])
def test_a_blank_secret_file_is_an_error(content: str) -> None:
    read, _ = reader({"/run/secrets/pp": content})
    resolved = resolve_secret_files({"PASSPHRASE_FILE": "/run/secrets/pp"}, read)
    assert resolved.values == {}
    assert resolved.errors == [
        "PASSPHRASE_FILE: cannot use /run/secrets/pp: it is empty (or only white space); "
        "it must hold the secret"
    ]


def test_a_secret_file_holding_a_nul_byte_is_an_error() -> None:
    read, _ = reader({"/s": "before\0after\n"})
    resolved = resolve_secret_files({"PGPASSWORD_FILE": "/s"}, read)
    assert resolved.values == {}
    assert [error.split(":", 1)[0] for error in resolved.errors] == ["PGPASSWORD_FILE"]
    assert "NUL" in resolved.errors[0] and "before" not in resolved.errors[0]


def test_a_refused_secret_file_is_an_error_with_the_readers_reason() -> None:
    def refuse(path: str) -> str:
        raise SecretFileError("it is not a regular file but a FIFO")

    resolved = resolve_secret_files({"PASSPHRASE_FILE": "/run/fifo"}, refuse)
    assert resolved.errors == ["PASSPHRASE_FILE: cannot use /run/fifo: it is not a regular file but a FIFO"]


def test_each_value_read_from_a_file_remembers_its_file_variable() -> None:
    read, _ = reader({"/a": "first\n", "/b": "second"})
    resolved = resolve_secret_files({"PASSPHRASE_FILE": "/a", "pgpassword_file": "/b"}, read)
    assert resolved.sources == {"PASSPHRASE": "PASSPHRASE_FILE", "pgpassword": "pgpassword_file"}


# --- which values are masked --------------------------------------------------------------------


def test_secret_values_are_the_secret_variables_and_the_extra_ones() -> None:
    env = {
        "PASSPHRASE": "pp",
        "PGPASSWORD": "pg",
        "MY_SECRET_THING": "st",
        "API_TOKEN": "tk",
        "SSH_KEY": "sk",
        "PATH": "/usr/bin",
        "USER": "backup",
        "EMPTY_PASSWORD": "",
    }
    values = secret_values(env, extra=["from-file", ""])
    assert sorted(values) == sorted(["pp", "pg", "st", "tk", "sk", "from-file"])


# --- Masker -------------------------------------------------------------------------------------


def test_masks_every_occurrence() -> None:
    mask = Masker(["hunter2"])
    assert mask("pw=hunter2 again hunter2.") == f"pw={MASK} again {MASK}."


def test_masks_several_secrets() -> None:
    mask = Masker(["alpha", "bravo"])
    assert mask("alpha and bravo and charlie") == f"{MASK} and {MASK} and charlie"


def test_line_without_secret_is_unchanged() -> None:
    assert Masker(["hunter2"])("nothing to see: hunter 2") == "nothing to see: hunter 2"


@pytest.mark.parametrize("secrets", [[], [""], ["", ""]])
def test_no_or_empty_secrets_mask_nothing(secrets: list[str]) -> None:
    assert Masker(secrets)("a line") == "a line"


def test_regex_characters_are_literal() -> None:
    mask = Masker(["a.b*c(d"])
    assert mask("x a.b*c(d y") == f"x {MASK} y"
    assert mask("axbbbc(d") == "axbbbc(d"


@pytest.mark.parametrize("order", [["abc", "abcdef"], ["abcdef", "abc"]])
def test_secret_containing_another_is_masked_whole(order: list[str]) -> None:
    masked = Masker(order)("xx abcdef yy")
    assert masked == f"xx {MASK} yy"


@pytest.mark.parametrize("order", [["s3cr", "cr3t!"], ["cr3t!", "s3cr"]])
def test_partly_overlapping_secrets_leave_no_part_of_either(order: list[str]) -> None:
    masked = Masker(order)("pw: s3cr3t! end")
    assert masked == f"pw: {MASK} end"


def test_multi_line_secret_is_masked_whole_and_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWg==\n-----END KEY-----"
    mask = Masker([key])
    assert mask(f"key: {key}") == f"key: {MASK}"
    # output is masked a line at a time: each line of the key is masked on its own
    for line in key.splitlines():
        assert mask(f"> {line}") == f"> {MASK}"
    assert "QUJD" not in mask("  QUJDREVGR0hJSktMTU5PUA==  trailing")


def test_secret_with_windows_line_endings_is_masked_line_by_line() -> None:
    mask = Masker(["first-line-secret\r\nsecond-line-secret"])
    assert mask("first-line-secret") == MASK
    assert mask("second-line-secret") == MASK
