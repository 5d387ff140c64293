"""Public-key encryption keys: ENCRYPT_KEY's fingerprint, the armored PUBLIC_KEY and PRIVATE_KEY (also
as `TASK_<id>_<KEY>_FILE`), the rules that join them, and what restore needs before duplicity runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.encryption import (
    conflicting_options,
    parse_fingerprint,
    parse_private_key,
    parse_public_key,
    restore_key_problem,
)
from duplicity_cron.config.environment import layer_environment
from duplicity_cron.config.secrets import looks_secret

FPR = "251AC574D792116C2CFCC38225F0F14E0950CA11"
PUBLIC = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ-canary-public\n-----END PGP PUBLIC KEY BLOCK-----\n"
PRIVATE = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ-canary-private\n-----END PGP PRIVATE KEY BLOCK-----"
TARGET = {"TASK_home_TARGET": "file:///backups/home"}


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    return info.value.problems


@pytest.mark.parametrize(
    "value",
    [FPR, FPR.lower(), "251A C574 D792 116C 2CFC  C382 25F0 F14E 0950 CA11", f"0x{FPR}", f" {FPR}\n"],
)
def test_a_full_fingerprint_in_the_forms_gpg_prints(value: str) -> None:
    assert parse_fingerprint(value) == FPR


@pytest.mark.parametrize("value", [FPR[:-1], FPR + "0", FPR[-16:], FPR[-8:], "Backup Test", FPR[:-1] + "G"])
def test_a_key_id_a_name_or_a_wrong_length_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="40 hexadecimal digits"):
        parse_fingerprint(value)


def test_keys_are_armored_blocks_of_their_kind() -> None:
    assert parse_public_key(PUBLIC) == PUBLIC
    assert parse_private_key(PRIVATE) == PRIVATE + "\n"
    with pytest.raises(ValueError, match="ASCII-armored public key"):
        parse_public_key("mDMEZ binary-ish")
    with pytest.raises(ValueError, match="holds a private key"):
        parse_public_key(PUBLIC + PRIVATE)
    with pytest.raises(ValueError, match="ASCII-armored private key"):
        parse_private_key(PUBLIC)


def test_the_three_keys_are_masked() -> None:
    for key in ("ENCRYPT_KEY", "PUBLIC_KEY", "PRIVATE_KEY"):
        assert looks_secret(f"TASK_home_{key}")


def test_a_public_key_task_needs_no_passphrase() -> None:
    env = {**TARGET, "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY": PUBLIC}
    task = parse_config(env).tasks["home"]
    assert (task.encrypt_key, task.public_key, task.private_key) == (FPR, PUBLIC, None)
    assert "canary" not in repr(task)  # no key material in a repr


def test_without_encrypt_key_the_passphrase_is_still_needed() -> None:
    (problem,) = problems_of(dict(TARGET))
    assert problem.startswith("TASK_home_TARGET: duplicity needs PASSPHRASE") and "ENCRYPT_KEY" in problem


def test_encrypt_key_needs_its_public_key() -> None:
    (problem,) = problems_of({**TARGET, "TASK_home_ENCRYPT_KEY": FPR})
    assert problem.startswith("TASK_home_ENCRYPT_KEY: needs the public key")
    assert "TASK_home_PUBLIC_KEY_FILE" in problem


@pytest.mark.parametrize("key", ["PUBLIC_KEY", "PRIVATE_KEY"])
def test_the_keys_need_encrypt_key(key: str) -> None:
    value = PUBLIC if key == "PUBLIC_KEY" else PRIVATE
    (problem,) = problems_of({**TARGET, "PASSPHRASE": "a long secret", f"TASK_home_{key}": value})
    assert problem == f"TASK_home_{key}: only means something with TASK_home_ENCRYPT_KEY, which is not set"


def test_the_encryption_keys_need_a_target() -> None:
    env = {"TASK_home_LOAD": "true", "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY": PUBLIC}
    assert problems_of(env) == [
        "TASK_home_ENCRYPT_KEY: only means something with TASK_home_TARGET, which is not set",
        "TASK_home_PUBLIC_KEY: only means something with TASK_home_TARGET, which is not set",
    ]


@pytest.mark.parametrize(
    "options",
    ["--encrypt-key ABCD", "--encrypt-key=ABCD", "--hidden-encrypt-key X", "--sign-key X", "--no-encryption",
     "--encrypt-sign-key=X"],
)  # fmt: skip
def test_options_that_choose_the_encryption_cannot_go_with_encrypt_key(options: str) -> None:
    env = {
        **TARGET,
        "TASK_home_ENCRYPT_KEY": FPR,
        "TASK_home_PUBLIC_KEY": PUBLIC,
        "TASK_home_OPTIONS": options,
    }
    (problem,) = problems_of(env)
    assert problem.startswith(f"TASK_home_OPTIONS: {options.split()[0].split('=')[0]} cannot go with")


def test_other_options_go_with_encrypt_key() -> None:
    assert conflicting_options(("--volsize", "50", "--encryption", "--gpg-options=--compress-level=1")) == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ENCRYPT_KEY", "ABCD1234", "TASK_home_ENCRYPT_KEY: is not a full key fingerprint"),
        ("PUBLIC_KEY", PRIVATE, "TASK_home_PUBLIC_KEY: holds a private key"),
        ("PRIVATE_KEY", "not a key", "TASK_home_PRIVATE_KEY: holds no ASCII-armored private key"),
    ],
)
def test_bad_values_name_their_variable_and_never_quote_it(key: str, value: str, message: str) -> None:
    env = {**TARGET, "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY": PUBLIC, f"TASK_home_{key}": value}
    problems = problems_of(env)
    assert any(problem.startswith(message) for problem in problems), problems
    assert not any(value in problem for problem in problems)


def reader(files: dict[str, str]) -> Callable[[str], str]:
    def read(path: str) -> str:
        if path not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[path]

    return read


def test_key_files_are_read_into_the_keys_and_masked() -> None:
    env = {
        **TARGET,
        "TASK_home_ENCRYPT_KEY": FPR,
        "TASK_home_PUBLIC_KEY_FILE": "/run/secrets/backup.pub",
        "TASK_home_PRIVATE_KEY_FILE": "/run/secrets/backup.key",
    }
    files = {"/run/secrets/backup.pub": PUBLIC, "/run/secrets/backup.key": PRIVATE + "\n"}
    environment = layer_environment(env, [], reader(files))
    assert environment.problems == ()
    task = parse_config(environment.values).tasks["home"]
    assert (task.public_key, task.private_key) == (PUBLIC, PRIVATE + "\n")
    for line in ("mDMEZ-canary-public", "lFgEZ-canary-private", FPR):
        assert environment.mask(f"gpg: {line}") == "gpg: ***"


def test_other_task_file_variables_are_still_unknown_keys() -> None:
    env = {**TARGET, "PASSPHRASE": "a long secret", "TASK_home_PASSWORD_FILE": "/run/secrets/pw"}
    environment = layer_environment(env, [], reader({"/run/secrets/pw": "a password"}))
    assert "TASK_home_PASSWORD" not in environment.values
    (problem,) = problems_of(environment.values)
    assert problem.startswith("TASK_home_PASSWORD_FILE: unknown key")


def test_a_key_file_that_cannot_be_read_is_one_problem_naming_it() -> None:
    env = {**TARGET, "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY_FILE": "/missing.pub"}
    environment = layer_environment(env, [], reader({}))
    assert environment.problems == (
        "TASK_home_PUBLIC_KEY_FILE: cannot read /missing.pub: No such file or directory",
    )
    assert (
        parse_config(environment.values).tasks["home"].public_key is None
    )  # not twice: "needs the public key"


def test_a_bad_key_file_is_named_by_its_file_variable() -> None:
    env = {**TARGET, "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY_FILE": "/run/secrets/backup.pub"}
    environment = layer_environment(env, [], reader({"/run/secrets/backup.pub": "-----BEGIN PGP nonsense"}))
    (problem,) = problems_of(environment.values)
    assert problem.startswith("TASK_home_PUBLIC_KEY_FILE: holds no ASCII-armored public key")


def test_a_binary_key_file_says_so() -> None:
    def read(path: str) -> str:
        return b"\x99\x01\x0d".decode("utf-8")

    environment = layer_environment({"TASK_home_PUBLIC_KEY_FILE": "/k.gpg"}, [], read)
    (problem,) = environment.problems
    assert problem.startswith("TASK_home_PUBLIC_KEY_FILE: cannot use /k.gpg: it is not UTF-8 text")


def test_restore_needs_the_private_key_of_a_public_key_task() -> None:
    env = {**TARGET, "TASK_home_ENCRYPT_KEY": FPR, "TASK_home_PUBLIC_KEY": PUBLIC}
    problem = restore_key_problem(parse_config(env).tasks["home"])
    assert problem is not None and "TASK_home_PRIVATE_KEY_FILE" in problem
    with_key = parse_config({**env, "TASK_home_PRIVATE_KEY": PRIVATE}).tasks["home"]
    assert restore_key_problem(with_key) is None
    symmetric = parse_config({**TARGET, "PASSPHRASE": "a long secret"}).tasks["home"]
    assert restore_key_problem(symmetric) is None


@pytest.mark.parametrize("options", ["--encrypt-key ABCD", "--hidden-encrypt-key=X", "--sign-key X"])
def test_options_that_name_a_key_without_encrypt_key_are_an_error_naming_the_keys_to_set(
    options: str,
) -> None:
    (problem,) = problems_of({**TARGET, "TASK_home_OPTIONS": options})
    assert problem.startswith(f"TASK_home_OPTIONS: {options.split()[0].split('=')[0]} needs a key")
    assert "set TASK_home_ENCRYPT_KEY (the fingerprint) and TASK_home_PUBLIC_KEY_FILE instead" in problem


def test_no_encryption_without_encrypt_key_is_fine() -> None:
    assert parse_config({**TARGET, "TASK_home_OPTIONS": "--no-encryption"}).tasks["home"]
