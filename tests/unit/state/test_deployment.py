"""The deployment's id in the state folder: made once, whole, private; the same ever after."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from duplicity_cron.state.deployment import FILE, deployment_id
from duplicity_cron.state.files import Damaged


def test_the_id_is_made_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    made = deployment_id(state)
    assert len(made) == 16 and int(made, 16) >= 0
    assert deployment_id(state) == made
    assert stat.S_IMODE((state / FILE).stat().st_mode) == 0o600
    assert [path.name for path in state.iterdir()] == [FILE]  # no temporary file left
    assert deployment_id(tmp_path / "other") != made


def test_a_file_that_is_not_an_id_is_damaged_and_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text("not-hex\n")
    with pytest.raises(Damaged, match=r"is not a deployment id .*; delete it and a new one is made"):
        deployment_id(tmp_path)
