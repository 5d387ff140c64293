"""The parallel load's plan of a pg_dump script (`postgresql.script`): which lines run first, as
jobs of their own at once (rows, indexes), and last; and the reader that hands a COPY block's rows
over in large pieces of whole lines."""

from __future__ import annotations

import pytest

from duplicity_cron.databases.postgresql.script import DATA, INDEX, PRE, REST, Planner, Reader
from duplicity_cron.databases.restore import MAX_LOAD_JOBS, load_jobs

SCRIPT = b"""--
-- PostgreSQL database dump
--

\\restrict KEY

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE DATABASE shop WITH TEMPLATE = template0;
\\unrestrict KEY
\\connect shop
\\restrict KEY
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET default_tablespace = '';

--
-- Name: t; Type: TABLE; Schema: public; Owner: app
--

CREATE TABLE public.t (id integer);

--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app
--

COPY public.t (id) FROM stdin;
1
\\.


--
-- Name: t_id_seq; Type: SEQUENCE SET; Schema: public; Owner: app
--

SELECT pg_catalog.setval('public.t_id_seq', 1, true);

SET default_tablespace = fast;

--
-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_pkey PRIMARY KEY (id);

--
-- Name: t t_other_fkey; Type: FK CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_other_fkey FOREIGN KEY (id) REFERENCES public.t(id);

--
-- Name: t_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX t_idx ON public.t USING btree (id);

--
-- PostgreSQL database dump complete
--

\\unrestrict KEY

"""


def _routes(script: bytes) -> list[tuple[str, bool, bytes]]:
    planner, routes, copying = Planner(), [], False
    for line in script.splitlines(keepends=True):
        if copying:  # the loader reads a COPY block's rows itself: the planner never sees them
            copying = line != b"\\.\n"
            continue
        routes.append((planner.route(line), planner.new_job, line.rstrip(b"\n")))
        copying = line.startswith(b"COPY ")
    return routes


def test_the_schema_runs_first_then_rows_and_indexes_as_jobs_then_the_rest_in_order() -> None:
    routes = _routes(SCRIPT)
    where = {line: route for route, _new, line in routes if line and not line.startswith(b"--")}
    assert where[b"CREATE DATABASE shop WITH TEMPLATE = template0;"] == PRE
    assert where[b"\\connect shop"] == PRE
    assert where[b"CREATE TABLE public.t (id integer);"] == PRE
    assert where[b"COPY public.t (id) FROM stdin;"] == DATA
    assert where[b"SELECT pg_catalog.setval('public.t_id_seq', 1, true);"] == REST
    assert where[b"    ADD CONSTRAINT t_pkey PRIMARY KEY (id);"] == INDEX
    assert where[b"CREATE INDEX t_idx ON public.t USING btree (id);"] == INDEX
    assert where[b"    ADD CONSTRAINT t_other_fkey FOREIGN KEY (id) REFERENCES public.t(id);"] == REST
    assert where[b"\\unrestrict KEY"] == REST  # the script's last line: never a job's
    jobs = [(route, line) for route, new, line in routes if new]
    assert [route for route, _line in jobs] == [DATA, INDEX, INDEX]  # each entry its own job


def test_a_job_starts_with_the_restrict_line_and_the_settings_in_effect_and_ends_unrestricted() -> None:
    planner = Planner()
    for line in SCRIPT.splitlines(keepends=True):
        planner.route(line)
        if line.startswith(b"-- Name: t_idx;"):
            break
    assert planner.prefix() == (
        b"\\restrict KEY\nSET client_encoding = 'UTF8';\n"
        b"SELECT pg_catalog.set_config('search_path', '', false);\nSET default_tablespace = fast;\n"
    )  # the settings before \connect were the maintenance database's session's: not the job's
    assert planner.suffix() == b"\\unrestrict KEY\n"


def test_a_script_without_table_data_is_all_loaded_first_by_one_client() -> None:
    schema_only = SCRIPT.split(b"--\n-- Data for Name")[0] + b"CREATE INDEX t_idx ON public.t (id);\n"
    assert {route for route, _new, _line in _routes(schema_only)} == {PRE}


def test_a_comment_whose_name_looks_like_a_header_is_not_one() -> None:
    planner = Planner()
    assert planner.route(b"-- Name: x; Type: TABLE DATA\n") == PRE  # no Schema, no Owner
    assert planner.route(b"-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: o\n") == DATA


def _reader(data: bytes, step: int) -> Reader:
    chunks = [data[index : index + step] for index in range(0, len(data), step)]
    return Reader(lambda: chunks.pop(0) if chunks else b"")


@pytest.mark.parametrize("step", [1, 2, 3, 5, 1000])
def test_the_reader_gives_a_copy_blocks_rows_whole_lines_up_to_its_end_and_the_lines_after(step) -> None:
    data = b"COPY t FROM stdin;\n1\ta\\nb\n\\\\.\n2\t\\.x\n\\.\n\nSELECT 1;\n"
    reader = _reader(data, step)
    assert reader.readline() == b"COPY t FROM stdin;\n"
    pieces = list(reader.copy_rows())
    assert b"".join(pieces) == b"1\ta\\nb\n\\\\.\n2\t\\.x\n"
    assert all(piece.endswith(b"\n") for piece in pieces)
    assert reader.readline() == b"\n"
    assert reader.readline() == b"SELECT 1;\n"
    assert reader.readline() == b""


@pytest.mark.parametrize("step", [1, 4, 1000])
def test_the_reader_gives_no_rows_for_an_empty_table_and_refuses_a_block_cut_short(step) -> None:
    reader = _reader(b"\\.\nSELECT 1;\n", step)
    assert list(reader.copy_rows()) == []
    assert reader.readline() == b"SELECT 1;\n"
    with pytest.raises(ValueError, match=r"ends inside the rows of a table"):
        list(_reader(b"1\n2\n", step).copy_rows())


def test_the_connections_follow_the_cpus_capped_unless_set() -> None:
    assert load_jobs(0, 2) == 2
    assert load_jobs(0, 64) == MAX_LOAD_JOBS
    assert load_jobs(0, None) == 1
    assert load_jobs(12, 2) == 12  # CONF_RESTORE_JOBS wins
