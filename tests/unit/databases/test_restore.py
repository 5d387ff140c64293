"""The pure parts of a restore: scratch names, the row-count rule, the dump's client version, and the
restore command lines of both engines (the same shape)."""

from __future__ import annotations

from dataclasses import replace
from hashlib import sha256
from pathlib import Path

from duplicity_cron.databases import parse_database_url
from duplicity_cron.databases.common import (
    count_problem,
    dump_version_problem,
    scratch_marker,
    scratch_names,
    scratch_prefix,
)
from duplicity_cron.databases.mariadb import commands as mariadb
from duplicity_cron.databases.postgresql import commands as postgresql
from duplicity_cron.databases.restore import drop_scratch
from duplicity_cron.databases.steps import RestoreDumpRequest


def test_scratch_names_are_unique_ascii_short_and_start_with_the_tasks_prefix() -> None:
    names = scratch_names("Db-1", "0a1b2c3d", ["shop", "Grüße wiki", "x" * 100, "shop".upper()])
    prefix = scratch_prefix("Db-1")
    assert prefix.startswith("dcv_db_1_") and len(set(names.values())) == 4
    assert names["shop"] == f"{prefix}0a1b2c3d_1_shop"
    assert names["Grüße wiki"] == f"{prefix}0a1b2c3d_2_gr__e_wiki"
    assert all(name.startswith(prefix) and len(name.encode()) <= 63 for name in names.values())


def test_one_tasks_prefix_never_starts_another_tasks() -> None:
    prefixes = [scratch_prefix(task) for task in ("pg", "pg_x", "pg-x", "PG", "pg.x")]
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]


def test_count_problem_names_database_table_expected_and_found() -> None:
    expected = {("public", "pages"): 2, ("sales", "items"): 2001, ("sales", "new"): None}
    assert (
        count_problem(
            "shop", expected, {("public", "pages"): 2, ("sales", "items"): 2001, ("sales", "new"): 5}
        )
        is None
    )
    assert count_problem(
        "shop", expected, {("public", "pages"): 2, ("sales", "items"): 2000, ("sales", "new"): 0}
    ) == (
        "database 'shop', table sales.items: 2,001 rows expected (the dump's manifest), "
        "2,000 found in the restore"
    )
    assert count_problem("shop", expected, {("sales", "items"): 2001, ("sales", "new"): 0}) == (
        "database 'shop', table public.pages: in the dump's manifest, missing from the restore"
    )
    assert count_problem("shop", {}, {("x", "y"): 1}) == (
        "database 'shop', table x.y: not in the dump's manifest, found in the restore"
    )


def test_a_dump_by_a_newer_client_is_refused() -> None:
    assert dump_version_problem("pg_dump", (17, 6), "psql", (15, 18), True) == (
        "the dump was made by pg_dump 17, newer than psql 15 here: use a client of version 17 or newer; "
        "nothing was restored"
    )
    assert dump_version_problem("pg_dump", (15, 99), "psql", (15, 1), True) is None
    assert dump_version_problem("mariadb-dump", (11, 8), "mariadb", (10, 11), False) is not None
    assert dump_version_problem("mariadb-dump", (10, 11), "mariadb", (11, 8), False) is None


def test_postgresql_restore_commands() -> None:
    url = parse_database_url("postgresql://postgres:pw-1234@db:5432/")
    commands = postgresql.restore_commands(url, "pw-1234", "/r/databases/shop.sql.zst", "shop", drop=True)
    decompress, client = commands.load
    assert decompress.argv == ["zstd", "-dc", "-q", "/r/databases/shop.sql.zst"]
    assert client.argv[:6] == ["psql", "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1"]
    assert "dbname='postgres'" in client.argv[-1] and client.env == {"PGPASSWORD": "pw-1234"}
    assert (
        commands.drop is not None and commands.drop.argv[-1] == 'DROP DATABASE IF EXISTS "shop" WITH (FORCE)'
    )
    assert commands.analyze is not None and commands.analyze.argv[-1] == "ANALYZE"
    assert "dbname='shop'" in commands.analyze.argv[-3]
    assert not commands.rename
    assert all(
        "pw-1234" not in arg for c in (*commands.load, commands.drop, commands.analyze) for arg in c.argv
    )
    scratch = postgresql.restore_commands(url, None, "/f", "shop", "dcv_x")
    assert scratch.rename and scratch.drop is None


def test_postgresql_drops_and_creates_postgres_itself_from_template1() -> None:
    url = parse_database_url("postgresql://postgres@db:5432/")
    commands = postgresql.restore_commands(url, None, "/r/databases/postgres.sql.zst", "postgres", drop=True)
    assert commands.drop is not None and "dbname='template1'" in commands.drop.argv[-3]
    assert commands.drop.argv[-1] == 'DROP DATABASE IF EXISTS "postgres" WITH (FORCE)'
    assert "dbname='template1'" in commands.load[1].argv[-1]
    assert commands.analyze is not None and "dbname='postgres'" in commands.analyze.argv[-3]
    assert "dbname='postgres'" in postgresql.drop_database_command(url, None, "shop").argv[-3]


def test_mariadb_restore_commands() -> None:
    commands = mariadb.restore_commands(
        "/tmp/o.cnf", "/r/shop.sql.zst", "shop", drop=True, tables=["a`b", "c"]
    )
    decompress, client = commands.load
    assert decompress.argv == ["zstd", "-dc", "-q", "/r/shop.sql.zst"]
    assert client.argv[:2] == ["mariadb", "--defaults-extra-file=/tmp/o.cnf"]
    assert commands.drop is not None and commands.drop.argv[-1] == "DROP DATABASE IF EXISTS `shop`"
    assert (
        commands.analyze is not None
        and commands.analyze.argv[-1] == "ANALYZE TABLE `shop`.`a``b`, `shop`.`c`"
    )
    assert mariadb.restore_commands("/o", "/f", "shop").analyze is None  # no tables, nothing to analyze


def test_a_deployments_prefix_and_marker_are_its_own() -> None:
    assert scratch_prefix("db", "0123456789abcdef") != scratch_prefix("db", "fedcba9876543210")
    assert scratch_prefix("db", "0123456789abcdef").startswith("dcv_db_")
    assert scratch_marker("db", "0123456789abcdef") == (
        f"duplicity-cron drill: deployment 0123456789abcdef, task {sha256(b'db').hexdigest()[:12]}"
    )
    assert scratch_marker("db", "0123456789abcdef") != scratch_marker("db2", "0123456789abcdef")
    names = scratch_names("db", "0a1b2c3d", ["shop"], "0123456789abcdef")
    assert names["shop"] == f"{scratch_prefix('db', '0123456789abcdef')}0a1b2c3d_1_shop"


class _Server:
    """A server's scratch databases and their markers; `drop` records what was dropped."""

    def __init__(self, databases: dict[str, str]) -> None:
        self.held, self.dropped = dict(databases), []

    def scratch_databases(self, prefix: str) -> dict[str, str]:
        return {name: mark for name, mark in self.held.items() if name.startswith(prefix)}

    def drop(self, name: str) -> None:
        self.dropped.append(name)
        del self.held[name]


def test_only_databases_marked_as_this_deployments_and_tasks_are_dropped(tmp_path, capsys) -> None:
    mine = "0123456789abcdef"
    prefix = scratch_prefix("db", mine)
    server = _Server({
        f"{prefix}keepme": "",  # a user's database named like a scratch one
        f"{prefix}aa_1_shop": scratch_marker("db", "fedcba9876543210"),  # another deployment's
        f"{prefix}bb_1_shop": scratch_marker("other", mine),  # another task's
        f"{prefix}cc_1_shop": scratch_marker("db", mine),  # a leftover of this deployment's drill
        f"{prefix}cc_2_wiki": scratch_marker("db", mine),
        "shop": "",
    })  # fmt: skip
    request = RestoreDumpRequest("cleanup", parse_database_url("postgresql://u@h/"), None, tmp_path,
                                 task="db", deployment=mine)  # fmt: skip
    assert drop_scratch(server, request, {f"{prefix}cc_2_wiki", f"{prefix}keepme"}) == [f"{prefix}cc_2_wiki"]
    assert drop_scratch(server, request) == [f"{prefix}cc_1_shop"]
    assert sorted(server.held) == [f"{prefix}aa_1_shop", f"{prefix}bb_1_shop", f"{prefix}keepme", "shop"]
    warning = capsys.readouterr().err.splitlines()[-1]
    assert warning == (
        f"warning: left alone: database(s) {prefix}aa_1_shop, {prefix}bb_1_shop, {prefix}keepme, named "
        "like this task's scratch databases but not marked as this deployment's drill's; drop them by "
        "hand if they are leftovers"
    )


def test_a_restore_request_carries_its_connections() -> None:
    url = parse_database_url("postgresql://postgres@db/")
    request = RestoreDumpRequest("restore", url, "pw", Path("/w"), jobs=3)
    assert RestoreDumpRequest.from_env(request.to_env()).jobs == 3
    assert RestoreDumpRequest.from_env(replace(request, jobs=0).to_env()).jobs == 0
