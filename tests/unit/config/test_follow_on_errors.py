"""One error per mistake: an unknown key or an unreadable PASSPHRASE_FILE is not followed by the errors
of what it meant to set."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError
from duplicity_cron.config.settings import parse_config
from duplicity_cron.config.task_keys import KEYS

KNOWN = f"known keys: {', '.join(KEYS)}"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        (
            {"TASK_a_SOURCE": "/data", "TASK_a_TARGT": "file:///b", "PASSPHRASE": "long enough"},
            f"TASK_a_TARGT: unknown key 'TARGT' (did you mean TARGET?); {KNOWN}",
        ),
        (
            {"TASK_a_SOURCE": "/data", "TASK_a_TARGET": "file:///b", "TASK_a_ENCRYPTKEY": "AB" * 20},
            f"TASK_a_ENCRYPTKEY: unknown key 'ENCRYPTKEY' (did you mean ENCRYPT_KEY?); {KNOWN}",
        ),
        (
            {"TASK_my_db_TARGET": "file:///b", "TASK_my_db_KEEP_FULLL": "2"},
            f"TASK_my_db_KEEP_FULLL: unknown key 'FULLL' (did you mean KEEP_FULL?); {KNOWN}",
        ),
    ],
)
def test_an_unknown_key_is_one_error(env, problem):
    with pytest.raises(ConfigError) as raised:
        parse_config(env)
    assert raised.value.problems == [problem]


def test_the_values_of_a_task_with_an_unknown_key_are_still_checked():
    with pytest.raises(ConfigError) as raised:
        parse_config({"TASK_a_LOAD": "true", "TASK_a_TIMEOUT": "soon", "TASK_a_NOPE": "1"})
    assert [problem.split(":")[0] for problem in raised.value.problems] == ["TASK_a_NOPE", "TASK_a_TIMEOUT"]


def test_a_passphrase_whose_file_is_an_error_is_not_missing_too():
    env = {"TASK_a_SOURCE": "/data", "TASK_a_TARGET": "file:///b"}
    parse_config(env, unread={"PASSPHRASE"})  # its file's error is told, by the environment layer
    with pytest.raises(ConfigError) as raised:
        parse_config(env)
    assert raised.value.problems == [
        "TASK_a_TARGET: duplicity needs PASSPHRASE (or PASSPHRASE_FILE) to encrypt the backup, and there is "
        "no default; set one, encrypt to a public key (ENCRYPT_KEY), or add --no-encryption to OPTIONS"
    ]
