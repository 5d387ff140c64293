"""PostgreSQL's SQL rewritten on its way to psql: existing roles left as they are, a database loaded
under a scratch name without owners or privileges, a newer pg_dump's script for an older server, the
data untouched."""

from __future__ import annotations

from duplicity_cron.databases.postgresql.sql import pg_for_server, pg_globals, pg_into_scratch

PG_GLOBALS = r'''SET default_transaction_read_only = off;
CREATE ROLE app_owner;
ALTER ROLE app_owner WITH NOSUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$4096:y';
CREATE ROLE "Mixed ""Case""";
ALTER ROLE "Mixed ""Case""" WITH NOLOGIN;
ALTER ROLE postgres SET search_path TO 'x';
CREATE TABLESPACE fast OWNER postgres LOCATION '/fast';
GRANT readers TO reader GRANTED BY postgres;
'''


def test_pg_globals_skip_the_roles_and_tablespaces_that_exist() -> None:
    text, kept = pg_globals(PG_GLOBALS, {"postgres", 'Mixed "Case"'}, {"fast"})
    assert kept == ["postgres", 'Mixed "Case"']
    assert text == (
        "SET default_transaction_read_only = off;\nCREATE ROLE app_owner;\n"
        "ALTER ROLE app_owner WITH NOSUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';\n"
        "GRANT readers TO reader GRANTED BY postgres;\n"
    )


def test_pg_globals_keep_everything_on_an_empty_server() -> None:
    assert pg_globals(PG_GLOBALS, set(), set()) == (PG_GLOBALS, [])


PG_DUMP = """\\restrict KEY
SET statement_timeout = 0;
CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C.UTF-8';
ALTER DATABASE shop OWNER TO app_owner;
\\unrestrict KEY
\\connect shop
\\restrict KEY
CREATE SCHEMA sales;
ALTER SCHEMA sales OWNER TO app_owner;
ALTER DATABASE shop SET search_path TO sales;
CREATE TABLE sales.items (
    id integer
);
ALTER TABLE sales.items OWNER TO app_owner;
COPY sales.items (id, name) FROM stdin;
1\tGRANT SELECT ON x TO y;
2\tALTER TABLE t OWNER TO u;
\\.
GRANT USAGE ON SCHEMA sales TO readers;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA sales GRANT SELECT ON TABLES TO readers;
COMMENT ON DATABASE shop IS 'the shop';
\\unrestrict KEY
"""


def test_pg_into_scratch_renames_and_leaves_out_owners_privileges_and_database_properties() -> None:
    lines = list(pg_into_scratch(PG_DUMP.splitlines(keepends=True), "dcv_x"))
    assert "".join(lines) == (
        "\\restrict KEY\nSET statement_timeout = 0;\n"
        "CREATE DATABASE dcv_x WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C.UTF-8';\n"
        "\\unrestrict KEY\n\\connect dcv_x\n\\restrict KEY\nCREATE SCHEMA sales;\n"
        "CREATE TABLE sales.items (\n    id integer\n);\n"
        "COPY sales.items (id, name) FROM stdin;\n1\tGRANT SELECT ON x TO y;\n"
        "2\tALTER TABLE t OWNER TO u;\n\\.\n"
        "\\unrestrict KEY\n"
    )


# Lines of pg_dump 18.6's `--create` script of a PostgreSQL 13 database (the version matrix's client
# and server): a database setting makes it connect twice; a COPY row that looks like a statement.
PG18_DUMP = """\\restrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
SET statement_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';
ALTER DATABASE shop OWNER TO app;
\\unrestrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
\\connect shop
\\restrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
SET transaction_timeout = 0;
ALTER DATABASE shop SET search_path TO 'sales', 'public';
\\unrestrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
\\connect shop
\\restrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
SET transaction_timeout = 0;
CREATE TABLE sales.items (
    id integer NOT NULL,
    name text NOT NULL
);
COPY sales.items (id, name) FROM stdin;
1\tx
SET transaction_timeout = 0;
CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';
\\.
\\unrestrict ZzD8hR8erBcJn7j1JOUYcknFzNFcaqxZHvt2fhetl9MadpRBfmpdvjJMqKjZNxC
"""
PG18_LINES = PG18_DUMP.splitlines(keepends=True)
DATA = PG18_LINES.index("COPY sales.items (id, name) FROM stdin;\n")


def test_pg_for_server_18_and_17_get_pg_dump_18s_script_as_it_is() -> None:
    assert list(pg_for_server(PG18_LINES, 18)) == list(pg_for_server(PG18_LINES, 17)) == PG18_LINES


def test_pg_for_server_before_17_leaves_out_transaction_timeout_but_not_in_the_data() -> None:
    lines = list(pg_for_server(PG18_LINES, 16))
    assert lines == [line for line in PG18_LINES[:DATA] if line != "SET transaction_timeout = 0;\n"] + [
        *PG18_LINES[DATA:]
    ]
    assert list(pg_for_server(PG18_LINES, 15)) == lines


def test_pg_for_server_before_15_also_leaves_out_the_locale_provider() -> None:
    lines = list(pg_for_server(PG18_LINES, 13))
    created = [line for line in lines[: DATA - 10] if line.startswith("CREATE DATABASE")]
    created_13 = "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C.UTF-8';\n"
    assert created == [created_13]
    assert (
        lines
        == [
            created[0] if line.startswith("CREATE DATABASE") else line
            for line in PG18_LINES[:DATA]
            if line != "SET transaction_timeout = 0;\n"
        ]
        + PG18_LINES[DATA:]
    )


def test_pg_for_server_without_create_loads_into_the_database_that_exists() -> None:
    lines = list(pg_for_server(PG18_LINES, 18, create=False))
    assert lines == [line for line in PG18_LINES[:DATA] if not line.startswith("CREATE DATABASE")] + [
        *PG18_LINES[DATA:]
    ]
    assert "ALTER DATABASE shop OWNER TO app;\n" in lines  # the dump's owner, as pg_dumpall's


def test_pg_into_scratch_sends_every_connect_to_the_scratch_database() -> None:
    lines = list(pg_into_scratch(PG18_LINES, "dcv_x"))
    assert [line for line in lines if line.startswith("\\connect")] == ["\\connect dcv_x\n"] * 2
    header = lines[: lines.index(PG18_LINES[DATA])]
    assert not [line for line in header if "shop" in line and "dcv" not in line]
    assert lines[lines.index(PG18_LINES[DATA]) :] == PG18_LINES[DATA:]


def test_pg_into_scratch_marks_the_scratch_database_right_after_creating_it() -> None:
    lines = list(pg_into_scratch(PG_DUMP.splitlines(keepends=True), "dcv_x", "duplicity-cron drill: it's"))
    created = next(index for index, line in enumerate(lines) if line.startswith("CREATE DATABASE dcv_x"))
    assert lines[created + 1] == "COMMENT ON DATABASE dcv_x IS 'duplicity-cron drill: it''s';\n"
    assert sum(line.startswith("COMMENT ON DATABASE") for line in lines) == 1  # the dump's own left out
