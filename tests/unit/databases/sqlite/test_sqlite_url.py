"""SQLite's DATABASE_URL: SQLAlchemy's spelling of an absolute path (four slashes), a glob, the one
query option (`timeout`); a relative path, a host, an in-memory database and other options refused."""

from __future__ import annotations

from datetime import UTC

import pytest

from duplicity_cron.config.tasks import parse_tasks
from duplicity_cron.databases import engine_for, parse_database_url
from duplicity_cron.databases.sqlite.paths import DEFAULT_TIMEOUT, dump_file, is_glob, timeout_of
from duplicity_cron.model import DatabaseUrl


@pytest.mark.parametrize(
    ("text", "path", "options"),
    [
        ("sqlite:////data/app.db", "/data/app.db", ()),
        ("SQLITE:////data/app.db", "/data/app.db", ()),
        ("sqlite:////data/*.db", "/data/*.db", ()),
        ("sqlite:////srv/[ab]*/app.db", "/srv/[ab]*/app.db", ()),
        ("sqlite:////data//app.db", "/data/app.db", ()),
        ("sqlite:////data/my app.db", "/data/my app.db", ()),
        ("sqlite:////data/app.db?timeout=2.5", "/data/app.db", (("timeout", "2.5"),)),
    ],
)
def test_an_absolute_path_or_a_glob(text: str, path: str, options: tuple[tuple[str, str], ...]) -> None:
    url = parse_database_url(text)
    assert url == DatabaseUrl("sqlite", database=path, options=options)
    assert engine_for(url).name == "sqlite" and engine_for(url).local_files
    assert parse_database_url(url.without_password()) == DatabaseUrl("sqlite", database=path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sqlite:///data/app.db", r"the path 'data/app\.db' is relative .*sqlite:////data/app\.db"),
        ("sqlite:///./app.db", "is relative"),
        ("sqlite://db-host/data/app.db", r"names a file, not a host \('db-host'\)"),
        ("sqlite://", "in-memory"),
        ("sqlite:///", "in-memory"),
        ("sqlite:////data/../etc/app.db", "holds '..'"),
        ("sqlite:////data/app.db?mode=ro", "option 'mode' of the query is not one a SQLite backup reads"),
        ("sqlite:////data/app.db?timeout=soon", "timeout='soon': expected a number of seconds"),
        ("sqlite:////data/app.db?timeout=0", "greater than 0"),
        ("sqlite:////data/app.db#x", "'#'"),
    ],
)
def test_wrong_urls_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_database_url(text)


def test_the_timeout_the_glob_and_the_file_in_src() -> None:
    assert timeout_of(parse_database_url("sqlite:////a.db")) == DEFAULT_TIMEOUT
    assert timeout_of(parse_database_url("sqlite:////a.db?timeout=0.5")) == 0.5
    assert is_glob("/data/*.db") and is_glob("/d/[ab].db") and not is_glob("/data/app.db")
    assert dump_file("/data/my app.db") == "databases/%2Fdata%2Fmy%20app.db.zst"


def test_a_relative_path_is_a_configuration_error_naming_the_key() -> None:
    problems: list[str] = []
    parse_tasks({"TASK_app_DATABASE_URL": "sqlite:///app.db", "TASK_app_TARGET": "file:///t"}, UTC, problems)
    assert any(
        problem.startswith("TASK_app_DATABASE_URL: ") and "is relative" in problem for problem in problems
    )


@pytest.mark.parametrize("key", ["VERIFY_URL", "DATABASE_PASSWORD"])
def test_keys_of_a_server_are_refused_for_files(key: str) -> None:
    env = {"TASK_app_DATABASE_URL": "sqlite:////data/app.db", "TASK_app_TARGET": "file:///t"}
    value = "sqlite:////scratch/*.db" if key == "VERIFY_URL" else "pw"
    problems: list[str] = []
    parse_tasks({**env, f"TASK_app_{key}": value}, UTC, problems)
    assert [problem for problem in problems if problem.startswith(f"TASK_app_{key}: ")] == [
        f"TASK_app_{key}: DATABASE_URL names sqlite files, which a drill checks in its own folder and no "
        "password opens; unset it"
    ]
