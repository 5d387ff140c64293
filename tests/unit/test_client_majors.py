"""What the examples and docs say the database images' clients are matches the Dockerfile: the
postgres target installs postgresql-client-${POSTGRESQL_CLIENT_MAJOR}, so every "PostgreSQL NN's
client" (and its other spellings) names that major. The mariadb target installs trixie's unpinned
mariadb-client, whose version the repository cannot derive: its mentions must at least agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# How the texts name the image's client (not a server's version, not trixie's own client 17).
POSTGRESQL = [
    r"PostgreSQL (\d+)'s client",
    r"PostgreSQL (\d+) client",
    r"PostgreSQL client (?:is )?(?:version )?(\d+)",
    r"`postgres` image's client is (\d+)",
    r"postgresql-client-(\d+)",
]
MARIADB = [
    r"MariaDB (\d+(?:\.\d+)?)'s client",
    r"MariaDB (\d+(?:\.\d+)?) client",
    r"`mariadb` image's (\d+(?:\.\d+)?)",
]


def texts() -> list[Path]:
    """The examples (compose and Kubernetes), the docs, the README, the Dockerfile and the chart."""
    found = [ROOT / "README.md", ROOT / "Dockerfile"]
    for folder, pattern in (("examples", "**/*"), ("docs", "**/*.md"), ("charts", "**/*")):
        found += [path for path in sorted((ROOT / folder).glob(pattern)) if path.is_file()]
    return found


def mentions(patterns: list[str], text: str) -> list[str]:
    return [match.group(1) for pattern in patterns for match in re.finditer(pattern, text)]


def postgresql_client_major() -> str:
    (major,) = re.findall(r"^ARG POSTGRESQL_CLIENT_MAJOR=(\d+)$", (ROOT / "Dockerfile").read_text(), re.M)
    return major


def test_every_text_names_the_postgresql_client_the_dockerfile_installs() -> None:
    major = postgresql_client_major()
    named = {
        str(path.relative_to(ROOT)): found
        for path in texts()
        if (found := mentions(POSTGRESQL, path.read_text(encoding="utf-8", errors="replace")))
    }
    assert "examples/kubernetes/postgres.yaml" in named  # the comment this test was written for
    wrong = {path: found for path, found in named.items() if set(found) != {major}}
    assert wrong == {}, f"the postgres image's client is {major} (Dockerfile ARG POSTGRESQL_CLIENT_MAJOR)"


def test_every_text_names_the_same_mariadb_client() -> None:
    named = {
        str(path.relative_to(ROOT)): found
        for path in texts()
        if (found := mentions(MARIADB, path.read_text(encoding="utf-8", errors="replace")))
    }
    assert "examples/kubernetes/mariadb.yaml" in named
    assert len({version for found in named.values() for version in found}) == 1, named


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("# last dump into the database. The image with PostgreSQL 17's client.", ["17"]),
        ("runner with Debian's PostgreSQL 18 client) and", ["18"]),
        ("- The PostgreSQL client is version 18 (`postgresql-client-18` and", ["18", "18"]),
        ("# postgres: adds Debian's PostgreSQL client 18 (psql", ["18"]),
        ("trixie's own client is 17, and a PostgreSQL 13 server", []),
    ],
)
def test_the_patterns_read_the_spellings_in_use(line: str, found: list[str]) -> None:
    assert sorted(mentions(POSTGRESQL, line)) == found
