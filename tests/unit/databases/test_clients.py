from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from duplicity_cron.databases import clients
from duplicity_cron.databases.engine import ClientCommand


def _program(path, text="#!/bin/sh\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def test_debian_s_pg_wrapper_is_skipped_for_the_newest_installed_client(tmp_path, monkeypatch):
    versions = tmp_path / "lib" / "postgresql"
    for major in ("13", "18", "9.6"):
        _program(versions / major / "bin" / "pg_dump")
    _program(versions / "17" / "bin" / "psql")  # 18 has no psql here: 17's is the newest psql
    _program(tmp_path / "share" / "pg_wrapper")
    for name in ("pg_dump", "psql"):
        (tmp_path / "bin").mkdir(exist_ok=True)
        os.symlink(tmp_path / "share" / "pg_wrapper", tmp_path / "bin" / name)
    _program(tmp_path / "bin" / "mariadb")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    clients.executable.cache_clear()
    try:
        assert clients.executable("pg_dump", versions) == str(versions / "18" / "bin" / "pg_dump")
        assert clients.executable("psql", versions) == str(versions / "17" / "bin" / "psql")
        assert clients.executable("mariadb", versions) == "mariadb"  # not the wrapper: as PATH has it
        assert clients.executable("pg_dumpall", versions) == "pg_dumpall"  # not found: left to fail
        assert clients.executable("pg_dump", tmp_path / "none") == "pg_dump"  # no versions: the wrapper
    finally:
        clients.executable.cache_clear()


def test_a_client_found_elsewhere_in_path_is_run_as_it_is(tmp_path, monkeypatch):
    _program(tmp_path / "bin" / "pg_dump")  # a pg_dump of the user's own, no wrapper
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    clients.executable.cache_clear()
    try:
        assert clients.executable("pg_dump") == "pg_dump"
    finally:
        clients.executable.cache_clear()


def test_a_dump_s_output_is_buffered_by_stdbuf_and_a_missing_client_is_named(tmp_path):
    proc = clients.start(ClientCommand(["sh", "-c", "echo out"]), buffered=True, stdout=subprocess.PIPE)
    out, _ = proc.communicate()
    assert out == b"out\n"
    if shutil.which("stdbuf"):
        assert proc.args[:2] == [shutil.which("stdbuf"), f"--output={clients.COPY_PIECE}"]
    with pytest.raises(clients.DumpError, match="no-such-client is not installed"):
        clients.start(ClientCommand(["no-such-client"]), buffered=True)


def test_error_line_leaves_out_the_statement_mariadb_echoes_before_its_error() -> None:
    stderr = (
        "--------------\nINSERT INTO `big` VALUES\n(1,'" + "y" * 900 + "'),\n(x2,'z')\n--------------\n\n"
        "ERROR 1054 (42S22) at line 3: Unknown column 'x2' in 'VALUES'\n"
    )
    assert clients.error_line(stderr) == "ERROR 1054 (42S22) at line 3: Unknown column 'x2' in 'VALUES'"
    assert clients.error_line("psql:<stdin>:5: ERROR:  boom\n") == "psql:<stdin>:5: ERROR:  boom"
