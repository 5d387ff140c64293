from __future__ import annotations

import pytest

from duplicity_cron.databases.common import (
    cut_short,
    dump_file,
    ends_with,
    missing_data,
    select_databases,
    version_problem,
)

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


def test_missing_data_names_the_first_listed_table_the_dump_did_not_hold_whole() -> None:
    listed = [("sales", "items"), ("public", "pages"), ("sales", "bulk")]
    assert missing_data("shop", "pg_dump", listed, {k: 0 for k in listed}) is None
    seen = {("public", "pages"): 2, ("sales", "bulk"): None, ("other", "t"): None}
    assert missing_data("shop", "pg_dump", listed, seen) == (
        "database 'shop', table sales.bulk: the server lists it, but its data in pg_dump's output is "
        "not whole (cut short, or there twice): the dump is incomplete though pg_dump exited 0; "
        "nothing was backed up"
    )
    problem = missing_data("shop", "mariadb-dump", listed, {("sales", "bulk"): 3, ("public", "pages"): 1})
    assert problem is not None and problem.startswith("database 'shop', table sales.items: ")
    assert "data in mariadb-dump's output is not in it" in problem
    assert missing_data("shop", "pg_dump", [], {}) is None


def test_a_stream_ends_as_a_complete_dump_only_with_its_clients_last_line() -> None:
    trailer = "-- PostgreSQL database dump complete"
    assert ends_with(b"\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n", trailer)
    assert ends_with(b"-- PostgreSQL database dump complete\n--\n", trailer)  # at the tail's start
    assert not ends_with(b"COPY public.t (x) FROM stdin;\n1\n2\n", trailer)
    assert not ends_with(b"", trailer)
    assert not ends_with(b"x-- PostgreSQL database dump complete\n", trailer)  # not a line of its own
    assert ends_with(b"UNLOCK TABLES;\n\n-- Dump completed on 2026-01-01 10:00:00\n", "-- Dump completed")
    assert cut_short("shop", "pg_dump", trailer) == (
        "database 'shop': pg_dump's output ends before its last line '-- PostgreSQL database dump "
        "complete': the dump is incomplete though pg_dump exited 0; nothing was backed up"
    )
