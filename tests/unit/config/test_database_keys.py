"""The keys of the built-in dump: DATABASE_URL makes EXTRACT built-in, the others need it, the password
may come from a file and is masked, and the built-in backup of a dump does not compress it again."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.environment import layer_environment
from duplicity_cron.databases import parse_database_url
from duplicity_cron.model import builtin_steps, dumps_databases, run_steps
from duplicity_cron.targets.duplicity import NO_GPG_COMPRESSION, backup_command

URL = {"TASK_db_DATABASE_URL": "postgresql://postgres:Url-Secret@db:5432/"}
TARGET = {"TASK_db_TARGET": "file:///backups/db", "PASSPHRASE": "gpg-passphrase"}


def _task(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return parse_config(env).tasks["db"]


def test_two_variables_make_the_whole_pipeline() -> None:
    task = _task({**URL, **TARGET})
    assert dumps_databases(task)
    assert run_steps(task) == ("extract", "load")
    argv = backup_command(task, src="/work/db/src", archive="/cache").argv
    assert NO_GPG_COMPRESSION in argv and argv.index(NO_GPG_COMPRESSION) < argv.index("/work/db/src")


def test_a_url_alone_dumps_and_an_own_extract_wins() -> None:
    assert builtin_steps(_task(URL)) == ("extract",)
    own = _task({**URL, **TARGET, "TASK_db_EXTRACT": "pg_dumpall > $SRC/all.sql"})
    assert builtin_steps(own) == ("load",) and not dumps_databases(own)
    assert NO_GPG_COMPRESSION not in backup_command(own, src="/s", archive="/c").argv


def test_keys_are_parsed() -> None:
    task = _task({**URL, "TASK_db_DATABASES": "shop, wiki !scratch", "TASK_db_DATABASE_PASSWORD": "pw-1234"})
    assert task.databases == ("shop", "wiki", "!scratch")
    assert task.database_password == "pw-1234"
    assert "Url-Secret" not in repr(task) and "pw-1234" not in repr(task)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"TASK_db_DATABASE_URL": "postgresql://db:port/"}, "TASK_db_DATABASE_URL: port 'port'"),
        ({**TARGET, "TASK_db_DATABASES": "shop"}, "TASK_db_DATABASES: only means something with"),
        ({**URL, "TASK_db_RESTORE": "1", "TASK_db_LOAD": "x"}, "is a restore task (RESTORE)"),
        ({**URL, "TASK_db_DATABASES": "shop !"}, "a lone '!'"),
        ({**URL, "TASK_db_DATABASES": ",,"}, "TASK_db_DATABASES: names no database, only separators"),
        ({**URL, "TASK_db_DATABASES": " , \t, "}, "TASK_db_DATABASES: names no database"),
        (
            {**TARGET, "TASK_db_VERIFY_URL": "postgresql://x@y/"},
            "TASK_db_VERIFY_URL: only means something with",
        ),
        ({**URL, "TASK_db_VERIFY_URL": "mariadb://x@y/"}, "VERIFY_URL names a server of another engine"),
        ({**URL, "TASK_db_VERIFY_URL": "MySQL://x@y/"}, "VERIFY_URL names a server of another engine"),
        ({**URL, "TASK_db_VERIFY_URL": "http://x@y/"}, "TASK_db_VERIFY_URL: expected postgresql://"),
    ],
)
def test_wrong_settings_are_configuration_errors(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(env)
    assert any(problem in each for each in info.value.problems), info.value.problems


def test_verify_url_is_kept_out_of_the_repr_and_its_password_masked() -> None:
    env = {**URL, "TASK_db_VERIFY_URL": "postgresql://postgres:Verify-Secret@scratch:5432/"}
    task = _task(env)
    assert task.verify_url == parse_database_url("postgresql://postgres:Verify-Secret@scratch:5432/")
    assert task.verify_url.password == "Verify-Secret"
    assert "Verify-Secret" not in repr(task)
    assert layer_environment(env, [], lambda path: "").mask("a Verify-Secret b") == "a *** b"


def test_the_password_file_gives_the_password_and_it_is_masked() -> None:
    env = {**URL, "TASK_db_DATABASE_PASSWORD_FILE": "/run/secrets/db"}
    layered = layer_environment(env, [], lambda path: {"/run/secrets/db": "File-Secret-9\n"}[path])
    assert layered.values["TASK_db_DATABASE_PASSWORD"] == "File-Secret-9"
    assert layered.mask("x File-Secret-9 Url-Secret y") == "x *** *** y"
    assert parse_config(layered.values).tasks["db"].database_password == "File-Secret-9"


def test_other_task_file_variables_are_still_left_alone() -> None:
    layered = layer_environment({"TASK_db_LOAD_FILE": "/nope"}, [], lambda path: "x")
    assert "TASK_db_LOAD" not in layered.values
