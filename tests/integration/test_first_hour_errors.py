"""Start-up errors and warnings a new user meets, through `check`: one line per mistake, saying what
to do."""

from __future__ import annotations

PASS = {"PASSPHRASE": "a long enough passphrase"}


def test_a_missing_source_that_no_step_makes_is_an_error(cli, tmp_path):
    source = tmp_path / "nowhere"
    env = {**PASS, "TASK_a_SOURCE": str(source), "TASK_a_TARGET": f"file://{tmp_path}/target"}
    result = cli("check", env=env)
    assert result.returncode == 2, result.output
    assert result.stderr.splitlines() == [
        "duplicity-cron: 1 configuration error(s); nothing was run:",
        f"  - TASK_a_SOURCE: {source} does not exist, and no step of the task makes it (no PREPARE, EXTRACT "
        "or TRANSFORM); create it, or set TASK_a_SOURCE to the folder to back up",
    ]


def test_a_missing_source_behind_a_link_names_the_link_target(cli, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    env = {**PASS, "TASK_a_SOURCE": str(link), "TASK_a_TARGET": f"file://{tmp_path}/target"}
    result = cli("check", env=env)
    assert result.returncode == 2
    assert (
        f"TASK_a_SOURCE: {link} is a link to {tmp_path / 'gone'}, which does not exist, and no"
        in result.stderr
    )


def test_a_missing_source_that_a_step_makes_is_allowed(cli, tmp_path):
    for step in ("PREPARE", "EXTRACT", "TRANSFORM"):
        env = {
            **PASS,
            "TASK_a_SOURCE": str(tmp_path / "made"),
            "TASK_a_TARGET": f"file://{tmp_path}/target",
            f"TASK_a_{step}": f"mkdir -p {tmp_path / 'made'}",
        }
        result = cli("check", env=env)
        assert result.returncode == 0, (step, result.output)


def test_a_seconds_field_is_warned_by_check(cli):
    result = cli("check", env={"TASK_a_LOAD": "true", "TASK_a_CRONTAB": "*/5 * * * * *"})
    assert result.returncode == 0
    assert result.stderr == (
        "duplicity-cron: warning: TASK_a_CRONTAB: fires every 5 seconds: a 6-field expression starts with "
        "seconds; for every 5 minutes write */5 * * * *\n"
    )


def test_a_missing_passphrase_file_is_one_error(cli, tmp_path):
    env = {
        "PASSPHRASE_FILE": str(tmp_path / "missing"),
        "TASK_a_SOURCE": str(tmp_path),
        "TASK_a_TARGET": "file:///backups/a",
    }
    result = cli("check", env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "duplicity-cron: 1 configuration error(s); nothing was run:",
        f"  - PASSPHRASE_FILE: cannot read {tmp_path / 'missing'}: No such file or directory",
    ]


def test_an_hour_out_of_range_names_the_field(cli):
    result = cli("check", env={"TASK_a_LOAD": "true", "TASK_a_CRONTAB": "0 25 * * *"})
    assert result.returncode == 2
    assert (
        "  - TASK_a_CRONTAB: '0 25 * * *' is not a valid cron expression: hour 25 is out of range 0-23"
        in result.stderr.splitlines()
    )
