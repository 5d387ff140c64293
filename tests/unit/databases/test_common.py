from __future__ import annotations

import pytest

from duplicity_cron.databases.common import dump_file, select_databases, version_problem

SERVER = ["postgres", "shop", "wiki"]


@pytest.mark.parametrize(
    ("wanted", "default", "expected"),
    [
        ((), None, SERVER),
        ((), "shop", ["shop"]),
        (("wiki", "shop"), None, ["shop", "wiki"]),
        (("!postgres",), "shop", ["shop", "wiki"]),
        (("shop", "wiki", "!wiki"), None, ["shop"]),
    ],
)
def test_databases_chosen(wanted: tuple[str, ...], default: str | None, expected: list[str]) -> None:
    assert select_databases(SERVER, wanted, default) == expected


def test_a_database_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(
        ValueError, match="no database named 'shops' on the server; it has postgres, shop, wiki"
    ):
        select_databases(SERVER, ["shops"], None)


def test_a_newer_server_names_both_versions() -> None:
    assert version_problem("pg_dump", (17, 6), (15, 18), same_major=True) is None
    assert version_problem("pg_dump", (17, 0), (17, 9), same_major=True) is None
    problem = version_problem("pg_dump", (15, 18), (17, 2), same_major=True)
    assert problem is not None and "server is version 17, newer than the client pg_dump 15" in problem
    assert version_problem("mariadb-dump", (11, 8), (10, 11), same_major=False) is None
    problem = version_problem("mariadb-dump", (10, 11), (11, 4), same_major=False)
    assert problem is not None and "11.4, newer than the client mariadb-dump 10.11" in problem


def test_dump_files_are_one_safe_name() -> None:
    assert dump_file("shop") == "databases/shop.sql.zst"
    assert dump_file("../a b/ü") == "databases/..%2Fa%20b%2F%C3%BC.sql.zst"
