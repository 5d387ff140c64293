"""A file:// TARGET and SOURCE must lie apart: a target inside SOURCE is backed up again by each backup
(inside the default SOURCE, the run's $SRC, it is emptied by every run), and SOURCE inside the target
puts the data among duplicity's files. Paths are compared normalised, as written."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.duplicity_values import file_target_folder, nesting_problem


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("file:///backups/home", "/backups/home"),
        ("file:///backups/home/", "/backups/home"),
        ("file:////backups//x/../home/.", "/backups/home"),
        ("par2+file:///backups/my%20home", "/backups/my home"),
        ("FILE:///b", "/b"),
        ("sftp://user@host//backups/home", None),
        ("s3:///bucket/home", None),
    ],
)
def test_the_folder_of_a_file_target(url: str, folder: str | None) -> None:
    assert file_target_folder(url) == folder


@pytest.mark.parametrize(
    ("target", "source", "problem"),
    [
        ("file:///data/backups", "/data", "its folder /data/backups is inside TASK_home_SOURCE (/data)"),
        ("file:///data", "/data/", "its folder /data is inside TASK_home_SOURCE (/data)"),
        ("file:///srv/../data/./b", "/data", "its folder /data/b is inside TASK_home_SOURCE (/data)"),
        ("par2+file:///data/b", "/data", "is inside TASK_home_SOURCE"),
        ("file:///", "/data", "its folder / holds TASK_home_SOURCE (/data)"),
        ("file:///data", "/data/home", "its folder /data holds TASK_home_SOURCE (/data/home)"),
        ("file:///data", "/", "its folder /data is inside TASK_home_SOURCE (/)"),
    ],
)
def test_a_target_and_source_one_inside_the_other_are_refused(target: str, source: str, problem: str) -> None:
    found = nesting_problem("home", target, source, "/workdir")
    assert found is not None and found.startswith("TASK_home_TARGET: ") and problem in found


@pytest.mark.parametrize(
    ("target", "source"),
    [
        ("file:///data2", "/data"),  # a common prefix is no nesting
        ("file:///backups/data", "/data"),
        ("sftp://u@host//data/backups", "/data"),  # another machine's path
        ("s3:///data", "/data"),
    ],
)
def test_folders_apart_pass(target: str, source: str) -> None:
    assert nesting_problem("home", target, source, "/workdir") is None


def test_the_default_source_is_the_runs_src_under_the_work_dir() -> None:
    inside = nesting_problem("home", "file:///workdir/home/src/backups", None, "/workdir/")
    assert inside is not None
    assert "is inside the run's $SRC (/workdir/home/src: CONF_WORK_DIR/<id>/src" in inside
    assert "emptied by every run" in inside
    holds = nesting_problem("home", "file:///workdir", None, "/workdir")
    assert holds is not None and "its folder /workdir holds the run's $SRC" in holds
    assert nesting_problem("home", "file:///workdir/other/src", None, "/workdir") is None
    assert nesting_problem("home", "file:///backups", None, "/workdir") is None


def _problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config({"PASSPHRASE": "a long secret", **env})
    return info.value.problems


def test_the_configuration_names_both_keys() -> None:
    [problem] = _problems({"TASK_home_TARGET": "file:///data/backups", "TASK_home_SOURCE": "/data"})
    assert problem.startswith("TASK_home_TARGET: its folder /data/backups is inside TASK_home_SOURCE")
    [problem] = _problems({"TASK_db_TARGET": "file:///w/db/src/b", "CONF_WORK_DIR": "/w"})
    assert problem.startswith("TASK_db_TARGET: its folder /w/db/src/b is inside the run's $SRC (/w/db/src")
    # apart: no problem
    parse_config({"PASSPHRASE": "x", "TASK_home_TARGET": "file:///backups", "TASK_home_SOURCE": "/data"})
