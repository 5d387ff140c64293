"""VERIFY_SQL and VERIFY_MAX_TIME: VERIFY_SQL's lines parsed, checked at start-up against the databases
the dump holds when the keys tell, read from `_FILE` (and not masked: it is no secret); what a
statement returned judged true or not; VERIFY_MAX_TIME a duration."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.environment import layer_environment
from duplicity_cron.config.verify_sql import dumped_databases, parse_verify_sql
from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.checks import assign_checks, check_problem
from duplicity_cron.model import SqlCheck

TASK = {
    "TASK_db_DATABASE_URL": "postgresql://postgres@db:5432/",
    "TASK_db_TARGET": "file:///backups/db",
    "PASSPHRASE": "gpg-passphrase",
}
ORDERS = "SELECT max(created_at) > now() - interval '1 day' FROM orders"


def _problem(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(env)
    return str(raised.value)


def test_lines_name_their_database_or_none() -> None:
    text = f"""
# yesterday's orders are there
shop: {ORDERS}
-- a comment too
  SELECT count(*) > 0 FROM pages  ;
wiki:SELECT '10:00'::time < '11:00'::time
"""
    assert parse_verify_sql(text) == (
        SqlCheck("shop", ORDERS, 3),
        SqlCheck("", "SELECT count(*) > 0 FROM pages  ;", 5),
        SqlCheck("wiki", "SELECT '10:00'::time < '11:00'::time", 6),
    )


def test_a_cast_at_the_start_is_no_database() -> None:
    assert parse_verify_sql("x::int > 0") == (SqlCheck("", "x::int > 0", 1),)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("shop:", "line 1 names database 'shop' but no statement"),
        ("\n\nshop:   ", "line 3 names database 'shop' but no statement"),
        ("# only a comment\n", "holds no statement"),
    ],
)
def test_malformed_values_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_verify_sql(text)


def test_a_malformed_line_is_a_start_up_error_naming_the_key() -> None:
    problem = _problem({**TASK, "TASK_db_VERIFY_SQL": "SELECT true\nshop:"})
    assert "TASK_db_VERIFY_SQL: line 2 names database 'shop' but no statement" in problem


def test_verify_sql_needs_database_url() -> None:
    env = {"TASK_db_TARGET": "file:///backups/db", "PASSPHRASE": "x" * 8, "TASK_db_VERIFY_SQL": "SELECT 1"}
    assert "TASK_db_VERIFY_SQL: only means something with TASK_db_DATABASE_URL" in _problem(env)


@pytest.mark.parametrize(
    ("url", "databases", "dumped"),
    [
        ("postgresql://u@db/", (), None),  # every database: the server's to say
        ("postgresql://u@db/shop", (), ("shop",)),
        ("postgresql://u@db/", ("shop", "wiki"), ("shop", "wiki")),
        ("postgresql://u@db/", ("shop", "wiki", "!wiki"), ("shop",)),
        ("postgresql://u@db/shop", ("!wiki",), None),  # all but wiki
    ],
)
def test_the_databases_a_dump_holds_when_the_keys_tell(url: str, databases: tuple[str, ...], dumped) -> None:  # type: ignore[no-untyped-def]
    assert dumped_databases(parse_database_url(url), databases) == dumped


def test_a_database_the_dump_does_not_hold_is_a_start_up_error() -> None:
    env = {**TASK, "TASK_db_DATABASES": "shop wiki", "TASK_db_VERIFY_SQL": f"shop: {ORDERS}\nblog: SELECT 1"}
    assert (
        "TASK_db_VERIFY_SQL: line 2 names database 'blog', which the dump does not hold; it holds shop, wiki"
        in _problem(env)
    )


def test_a_line_without_database_needs_a_dump_of_one() -> None:
    env = {**TASK, "TASK_db_DATABASES": "shop wiki", "TASK_db_VERIFY_SQL": ORDERS}
    assert "line 1 names no database and the dump holds several (shop, wiki)" in _problem(env)
    one = {**TASK, "TASK_db_DATABASE_URL": "postgresql://postgres@db:5432/shop", "TASK_db_VERIFY_SQL": ORDERS}
    assert parse_config(one).tasks["db"].verify_sql == (SqlCheck("", ORDERS, 1),)
    unknown = {**TASK, "TASK_db_VERIFY_SQL": ORDERS}  # every database: checked when the dump is made
    assert parse_config(unknown).tasks["db"].verify_sql == (SqlCheck("", ORDERS, 1),)


def test_at_the_drill_each_check_goes_to_its_database() -> None:
    checks = parse_verify_sql("shop: SELECT 1\nwiki: SELECT 2\nshop: SELECT 3")
    assigned = assign_checks(checks, ["shop", "wiki"])
    assert [c.statement for c in assigned["shop"]] == ["SELECT 1", "SELECT 3"]
    assert assign_checks(parse_verify_sql("SELECT 1"), ["shop"])["shop"][0].statement == "SELECT 1"
    with pytest.raises(ValueError, match="VERIFY_SQL line 1 names no database and the dump holds several"):
        assign_checks(parse_verify_sql("SELECT 1"), ["shop", "wiki"])
    with pytest.raises(
        ValueError, match="names database 'blog', which the dump does not hold; it holds shop"
    ):
        assign_checks(parse_verify_sql("blog: SELECT 1"), ["shop"])


def test_the_file_form_is_read_and_not_masked() -> None:
    env = {**TASK, "TASK_db_VERIFY_SQL_FILE": "/etc/checks.sql"}
    text = f"shop: {ORDERS}\n"
    layered = layer_environment(env, [], lambda path: {"/etc/checks.sql": text}[path])
    assert layered.values["TASK_db_VERIFY_SQL"] == text.rstrip("\n")
    assert layered.mask(ORDERS) == ORDERS  # no secret: the statements show in the drill's lines
    task = parse_config(layered.values).tasks["db"]
    assert task.verify_sql == (SqlCheck("shop", ORDERS, 1),)


def test_an_unreadable_file_names_its_variable() -> None:
    def missing(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory")

    layered = layer_environment({**TASK, "TASK_db_VERIFY_SQL_FILE": "/nope.sql"}, [], missing)
    assert layered.problems == ("TASK_db_VERIFY_SQL_FILE: cannot read /nope.sql: No such file or directory",)


@pytest.mark.parametrize("value", ["t", "true", "TRUE", "1", "42", "0.5", "-1", " t ", "yes", "on"])
def test_true_values(value: str) -> None:
    assert check_problem(SqlCheck("shop", "SELECT x", 2), value) is None


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("f", "returned 'f', not a true value"),
        ("0", "returned '0', not a true value"),
        ("false", "returned 'false', not a true value"),
        ("", "returned NULL, not a true value"),
        ("NULL", "returned NULL, not a true value"),
        ("x" * 50, "returned '" + "x" * 40 + "...', not a true value"),
        (None, "returned no row; it must return a true value"),
    ],
)
def test_what_is_not_true_is_said_naming_the_statement(value: str | None, said: str) -> None:
    assert (
        check_problem(SqlCheck("shop", "SELECT x", 2), value) == f"VERIFY_SQL line 2 (shop: SELECT x) {said}"
    )


def test_verify_max_time_is_a_duration_and_needs_target() -> None:
    assert parse_config({**TASK, "TASK_db_VERIFY_MAX_TIME": "15m"}).tasks["db"].verify_max_time == 900
    assert parse_config({**TASK, "TASK_db_VERIFY_MAX_TIME": "0.5"}).tasks["db"].verify_max_time == 0.5
    assert "TASK_db_VERIFY_MAX_TIME: 'soon' is not a duration" in _problem(
        {**TASK, "TASK_db_VERIFY_MAX_TIME": "soon"}
    )
    no_target = {"TASK_db_DATABASE_URL": "postgresql://u@db/", "TASK_db_VERIFY_MAX_TIME": "1h"}
    assert "TASK_db_VERIFY_MAX_TIME: only means something with TASK_db_TARGET" in _problem(no_target)
