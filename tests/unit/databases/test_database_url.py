from __future__ import annotations

import pytest

from duplicity_cron.databases import parse_database_url
from duplicity_cron.model import DatabaseUrl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://postgres@db:5432/", DatabaseUrl("postgresql", "postgres", "db", 5432)),
        ("postgres://u:p%40ss@[::1]:6432/shop?sslmode=require",
         DatabaseUrl("postgresql", "u", "::1", 6432, "shop", (("sslmode", "require"),), "p@ss")),
        ("mariadb://backup@db/", DatabaseUrl("mariadb", "backup", "db")),
        ("MARIADB://root:a:b@db:3306", DatabaseUrl("mariadb", "root", "db", 3306, password="a:b")),
        ("postgresql://%2Fvar%2Frun%2Fpostgresql/", DatabaseUrl("postgresql", host="/var/run/postgresql")),
    ],
)  # fmt: skip
def test_parts_are_read_and_decoded(text: str, expected: DatabaseUrl) -> None:
    parsed = parse_database_url(text)
    assert parsed == expected
    assert parsed.password == expected.password


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("db:5432", "expected a URL such as"),
        ("http://db/", "scheme 'http'"),
        ("postgresql://db:99999/", "port '99999'"),
        ("postgresql://db:x/", "port 'x'"),
        ("postgresql://db/a/b", "one database"),
        ("postgresql://[::1/", "never closed"),
        ("postgresql://u:p w@db/", "white space"),
        ("oracle://db/", "^expected postgresql://, mariadb:// or mysql:// followed by user@host:port/"),
    ],
)
def test_wrong_urls_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_database_url(text)


def test_a_wrong_url_is_never_quoted_with_its_password() -> None:
    with pytest.raises(ValueError) as error:
        parse_database_url("postgresql://u:Secret-Pw@db:bad/")
    assert "Secret-Pw" not in str(error.value)


def test_without_password_and_repr_hide_the_password() -> None:
    url = parse_database_url("postgresql://u:Secret-Pw@db:5433/shop")
    assert url.without_password() == "postgresql://u@db:5433/shop"
    assert "Secret-Pw" not in repr(url)
    assert url.option("sslmode") is None
