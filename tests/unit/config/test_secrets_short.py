"""Secrets shorter than 4 characters are not masked (they would garble every line and show through the
holes they leave); start-up warns, naming the variable and never the value."""

from __future__ import annotations

import pytest

from duplicity_cron.config.environment import Environment, layer_environment
from duplicity_cron.config.secrets import MASK, Masker, find_secrets, short_secret_warnings

NOT_MASKED = "than 4 characters, so it is not masked in the output"
LINE = "a backup of 1 database at 02:30, 12 files, all ok"


def environment(env: dict[str, str], files: dict[str, str] | None = None) -> Environment:
    return layer_environment(env, [], lambda path: (files or {})[path])


def warned(env: Environment) -> str:
    return "\n".join(env.warnings)


# --- the masker ---------------------------------------------------------------------------------


@pytest.mark.parametrize("short", ["a", "1", "ok", "12", "all", " a ", "\tok\n", "    ", "  \n  "])
def test_short_values_are_not_masked(short: str) -> None:
    assert Masker([short])(LINE) == LINE


def test_four_characters_are_masked() -> None:
    assert Masker(["file"])(LINE) == LINE.replace("file", MASK)
    assert Masker(["  ok  x"])("say   ok  x") == f"say {MASK}"


def test_short_lines_of_a_long_secret_are_not_masked_on_their_own() -> None:
    mask = Masker(["-----BEGIN-----\nab\nQUJDREVGR0hJ\n-----END-----"])
    assert mask("ab cd ab") == "ab cd ab"
    assert mask("QUJDREVGR0hJ") == MASK


# --- the warnings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PGPASSWORD", "API_TOKEN", "SSH_KEY", "TASK_db_PING_URL"])
def test_a_short_secret_variable_is_warned_by_name(name: str) -> None:
    env = environment({name: "Zq7", "TASK_db_LOAD": "true"})
    assert env.warnings == (f"{name}: its value is shorter {NOT_MASKED}",)
    assert "Zq7" not in warned(env)
    assert env.mask(f"x Zq7 {LINE}") == f"x Zq7 {LINE}"
    assert env.problems == ()


def test_a_short_secret_file_is_warned_by_its_file_variable() -> None:
    env = environment({"PASSPHRASE_FILE": "/run/secrets/pp"}, {"/run/secrets/pp": "Zq7\n"})
    assert env.values["PASSPHRASE"] == "Zq7"
    assert env.warnings == (f"PASSPHRASE_FILE: the secret in its file is shorter {NOT_MASKED}",)
    assert env.problems == ()


def test_a_short_url_password_is_warned_by_its_variable() -> None:
    env = environment({"DB_DSN": "postgresql://app:Zq7@db/app", "BACKUP_TARGET": "sftp://u:a@h/x"})
    assert warned(env).splitlines() == [
        f"BACKUP_TARGET: the password of a URL in its value is shorter {NOT_MASKED}",
        f"DB_DSN: the password of a URL in its value is shorter {NOT_MASKED}",
    ]
    assert "Zq7" not in warned(env)
    assert env.mask("sftp://u:a@h/x a backup") == "sftp://u:a@h/x a backup"


def test_a_short_decoded_password_is_warned_once_and_its_encoded_form_masked() -> None:
    env = environment({"TARGET": "sftp://u:%40%40@h/x"})  # "@@" once decoded
    assert len(env.warnings) == 1 and env.warnings[0].startswith("TARGET: the password of a URL")
    assert env.mask("sftp://u:%40%40@h/x") == f"sftp://u:{MASK}@h/x"


def test_one_warning_per_variable() -> None:
    secrets = find_secrets({"TARGETS": "sftp://u:ab@h1 sftp://v:cd@h2 sftp://w:ab@h3"})
    assert len(short_secret_warnings(secrets)) == 1


def test_long_and_empty_secrets_give_no_warning() -> None:
    env = environment({"PASSPHRASE": "long enough", "EMPTY_PASSWORD": "", "URL": "https://u:long-pw@h"})
    assert env.warnings == ()
