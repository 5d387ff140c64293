"""State files: reading JSON that may be damaged, and telling what is in a folder's way."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from duplicity_cron.state import files


def test_read_json_of_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"a": [1, "é"]}', encoding="utf-8")
    assert files.read_json(tmp_path / "a.json") == {"a": [1, "é"]}


def test_read_json_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    for name in ("folder", "fifo"):
        with pytest.raises(ValueError, match="not a regular file"):
            files.read_json(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        files.read_json(tmp_path / "missing")


def test_read_json_refuses_a_file_too_large_and_reads_no_more(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text(json.dumps("x" * files.MAX_FILE_BYTES))
    with pytest.raises(ValueError, match="larger than 4 MiB"):
        files.read_json(tmp_path / "big.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")  # endless: refused, not read to the end
    with pytest.raises(ValueError, match="not a regular file"):
        files.read_json(tmp_path / "zero.json")


def test_read_json_nested_too_deeply_is_a_value_error(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        files.read_json(tmp_path / "deep.json")


def test_describe() -> None:
    with pytest.raises(ValueError) as caught:
        json.loads("{")
    assert files.describe(caught.value).startswith("not JSON (")
    undecodable = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    assert files.describe(undecodable) == "not UTF-8 text"
    assert files.describe(NotADirectoryError(20, "Not a directory")) == "Not a directory"
    assert files.describe(KeyError("pid")) == "no field 'pid'"
    assert files.describe(TypeError("x")) == "not the expected shape (x)"


def test_checked_time() -> None:
    moment = datetime(2026, 5, 13, tzinfo=UTC)
    assert files.checked_time(moment, "t") == moment
    with pytest.raises(ValueError, match="t 2026-05-13T00:00:00 has no UTC offset"):
        files.checked_time(moment.replace(tzinfo=None), "t")
    for extreme in (
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=timezone(-timedelta(hours=5))),
    ):
        with pytest.raises(ValueError, match="out of range"):
            files.checked_time(extreme, "t")
    with pytest.raises(TypeError):
        files.parse_iso_time(5, "t")


def test_folder_problem(tmp_path: Path) -> None:
    assert files.folder_problem(tmp_path) is None
    assert files.folder_problem(tmp_path / "not" / "yet") is None  # made when needed
    (tmp_path / "file").write_text("x")
    assert files.folder_problem(tmp_path / "file") == f"{tmp_path / 'file'} is not a folder"
    assert files.folder_problem(tmp_path / "file" / "a" / "b") == f"{tmp_path / 'file'} is not a folder"


def test_write_problem(tmp_path: Path) -> None:
    assert files.write_problem(tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # the probe is gone
    (tmp_path / "file").write_text("x")
    assert files.write_problem(tmp_path / "file") == "Not a directory"
