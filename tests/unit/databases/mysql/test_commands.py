from __future__ import annotations

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.common import version_problem
from duplicity_cron.databases.mysql import commands as my

URL = parse_database_url("mysql://backup:S3cret@db:3307/?ssl-mode=REQUIRED")


def test_every_setting_is_in_the_option_file_and_none_in_argv() -> None:
    assert my.option_file_text(URL, "S3cret") == (
        '[client]\nhost="db"\nport="3307"\nuser="backup"\npassword="S3cret"\nssl-mode="REQUIRED"\n'
        '[mysql]\nconnect-timeout="10"\n'
    )
    commands = [
        my.server_version_command("/private/f.cnf"),
        my.list_databases_command("/private/f.cnf"),
        my.query_command("/private/f.cnf"),
        my.escaped_query_command("/private/f.cnf"),
        my.dump_command("/private/f.cnf", "shop"),
        my.restore_commands("/private/f.cnf", "/d/shop.sql.zst", "shop", drop=True, tables=["t"]).load[1],
    ]
    for command in commands:
        assert command.argv[0] in ("mysql", "mysqldump")  # MySQL's own clients, not MariaDB's
        assert command.argv[1] == "--defaults-extra-file=/private/f.cnf"  # it must come first
        assert "S3cret" not in " ".join(command.argv) and "db" not in command.argv


def test_the_dump_is_one_snapshot_with_routines_events_triggers_in_utf8mb4_without_gtids() -> None:
    dump = my.dump_command("/f.cnf", "shop")
    assert {"--single-transaction", "--routines", "--events", "--triggers"} <= set(dump.argv)
    assert {"--set-gtid-purged=OFF", "--default-character-set=utf8mb4", "--no-tablespaces"} <= set(dump.argv)
    assert dump.argv[-2:] == ["--databases", "shop"]
    assert "--comments" in dump.argv  # its last line, `-- Dump completed`
    assert not my.counts_rows_in_dump((9, 7))  # a whole INSERT a line: counted in a snapshot first


def test_values_come_raw_or_escaped_one_a_line() -> None:
    assert "--raw" in my.query_command("/f.cnf").argv
    assert "--raw" not in my.escaped_query_command("/f.cnf").argv  # the users' statements: one a line


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("mysqldump  Ver 9.7.4-2 for Linux on x86_64 ((Debian))", (9, 7)),
        ("mysql  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))", (8, 0)),
        ("mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)", (5, 7)),
    ],
)
def test_client_versions(text: str, version: tuple[int, int]) -> None:
    assert my.parse_client_version(text) == version


def test_a_server_newer_than_the_client_by_major_minor_is_refused() -> None:
    client = my.parse_client_version("mysqldump  Ver 9.7.4-2 for Linux on x86_64 ((Debian))")
    assert version_problem(my.CLIENT, client, my.parse_server_version("9.7.9"), my.SAME_MAJOR) is None
    assert version_problem(my.CLIENT, client, my.parse_server_version("8.4.3"), my.SAME_MAJOR) is None
    assert version_problem(my.CLIENT, client, my.parse_server_version("9.8.0"), my.SAME_MAJOR) == (
        "the server is version 9.8, newer than the client mysqldump 9.7: a dump by an older client may be "
        "incomplete; use a client of version 9.8 or newer"
    )


@pytest.mark.parametrize("version", ["9.7.4-2", "8.0.36-0ubuntu0.22.04.1", "8.4.3\n"])
def test_a_mysql_server_is_one(version: str) -> None:
    assert my.other_server(version) is None


def test_a_mariadb_server_is_not_one_and_says_to_use_mariadb_urls() -> None:
    assert my.other_server("11.8.3-MariaDB-1 from Debian\n") == (
        "the server is not MySQL but MariaDB (version 11.8.3-MariaDB-1 from Debian): use a mariadb:// URL "
        "(the duplicity-mariadb image has MariaDB's client)"
    )


def test_the_reserved_accounts_are_not_dumped_root_and_the_rest_are() -> None:
    accounts = [("app", "%"), ("mysql.infoschema", "localhost"), ("mysql.session", "localhost"),
                ("mysql.sys", "localhost"), ("root", "localhost"), ("mysql.sys", "%")]  # fmt: skip
    assert my.dumped_accounts(accounts) == [("app", "%"), ("root", "localhost"), ("mysql.sys", "%")]


def test_the_users_script_shows_each_account_in_hex_after_a_separator() -> None:
    script = my.users_script([("o'neil", "10.%")])
    assert script == (
        "SET SESSION print_identified_with_as_hex = ON;\nSELECT '--';\n"
        "SHOW CREATE USER 'o\\'neil'@'10.%';\nSHOW GRANTS FOR 'o\\'neil'@'10.%';\n"
    )


def test_a_scratch_database_is_marked_by_its_functions_comment() -> None:
    assert my.drill_marker_sql("drill: deployment d, task 'x'") == (
        "CREATE FUNCTION `duplicity_cron_drill`() RETURNS INT DETERMINISTIC NO SQL "
        "COMMENT 'drill: deployment d, task \\'x\\'' RETURN 1;\n"
    )
    sql = my.scratch_databases_sql("dcv_db_")
    assert "r.routine_name = 'duplicity_cron_drill'" in sql and "LEFT(s.schema_name, 7) = 'dcv_db_'" in sql


def test_verify_sql_runs_in_a_read_only_session_on_the_scratch_database() -> None:
    assert (
        my.statement_sql("SELECT COUNT(*) > 0 FROM t;")
        == "SET SESSION TRANSACTION READ ONLY;\nSELECT COUNT(*) > 0 FROM t;\n"
    )
    assert my.statement_command("/f.cnf", "dcv_x").argv[-1] == "--database=dcv_x"


def test_a_restore_drops_loads_and_analyzes_with_mysql() -> None:
    commands = my.restore_commands("/f.cnf", "/d/shop.sql.zst", "shop", "shop", True, ["items"])
    assert commands.load[0].argv == ["zstd", "-dc", "-q", "/d/shop.sql.zst"]
    assert commands.drop is not None and commands.drop.argv[-2:] == ["-e", "DROP DATABASE IF EXISTS `shop`"]
    assert commands.analyze is not None and commands.analyze.argv[-1] == "ANALYZE TABLE `shop`.`items`"
    assert "--default-character-set=utf8mb4" in commands.load[1].argv
