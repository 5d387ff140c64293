"""The duplicity command lines of a task with TARGET, built without running anything: backup,
retention, restore, the built-in steps, and the archive folder."""

from __future__ import annotations

import shlex

import pytest

from duplicity_cron.config import parse_config
from duplicity_cron.model import Task, builtin_steps
from duplicity_cron.targets.duplicity import (
    ArchiveDir,
    Step,
    archive_dir,
    backup_command,
    backup_step,
    restore_command,
    retention_commands,
    retention_step,
)

ARCHIVE = "/cache/duplicity"
COMMON = [
    "--name", "home", "--archive-dir", ARCHIVE, "-v", "warning", "--num-retries", "3",
    "--backend-retry-delay", "30",
]  # fmt: skip


def task_of(**keys: str) -> Task:
    env = {"TASK_home_TARGET": "file:///backups/home", "PASSPHRASE": "a long secret"}
    env.update({f"TASK_home_{key}": value for key, value in keys.items()})
    return parse_config(env).tasks["home"]


def test_backup_of_src_by_default_with_the_defaults() -> None:
    command = backup_command(task_of(), src="/workdir/home/src", archive=ARCHIVE)
    assert command.argv == [
        "duplicity", "backup", *COMMON, "--full-if-older-than", "1M", "--allow-source-mismatch",
        "/workdir/home/src", "file:///backups/home",
    ]  # fmt: skip
    assert command.env == {}


def test_backup_of_source_with_full_every_and_options_appended_last() -> None:
    task = task_of(SOURCE="/data", FULL_EVERY="7D", OPTIONS="--num-retries 1 --exclude '**/a b'")
    argv = backup_command(task, src="/workdir/home/src", archive=ARCHIVE).argv
    assert argv[-6:] == ["--num-retries", "1", "--exclude", "**/a b", "/data", "file:///backups/home"]
    assert argv[argv.index("--full-if-older-than") + 1] == "7D"
    # duplicity's argparse takes the last value of an option: OPTIONS' --num-retries wins
    assert argv.index("--num-retries", argv.index("--num-retries") + 1) > argv.index("--num-retries")


def test_the_url_password_goes_to_backend_password_not_argv() -> None:
    task = task_of(TARGET="sftp://backup:s3cr%2Ft@host:2222//srv/home")
    for command in (
        backup_command(task, src="/s", archive=ARCHIVE),
        *retention_commands(task_of(TARGET=task.target or "", KEEP_FULL="2"), archive=ARCHIVE),
        restore_command(task, destination="/r", archive=ARCHIVE),
    ):
        assert "sftp://backup@host:2222//srv/home" in command.argv
        assert not any("s3cr" in word for word in command.argv)
        assert command.env == {"BACKEND_PASSWORD": "s3cr/t"}


def test_the_name_is_the_task_id() -> None:
    task = parse_config({"TASK_my.db-1_TARGET": "file:///b", "PASSPHRASE": "secret"}).tasks["my.db-1"]
    argv = backup_command(task, src="/s", archive=ARCHIVE).argv
    assert argv[argv.index("--name") + 1] == "my.db-1"


def test_retention_of_keep_full() -> None:
    commands = retention_commands(task_of(KEEP_FULL="3"), archive=ARCHIVE)
    assert [c.argv for c in commands] == [
        ["duplicity", "remove-all-but-n-full", "3", "--force", *COMMON, "file:///backups/home"],
        ["duplicity", "cleanup", "--force", *COMMON, "file:///backups/home"],
    ]


def test_retention_of_keep_and_keep_full_with_options() -> None:
    commands = retention_commands(
        task_of(KEEP_FULL="2", KEEP="6M", OPTIONS="--ssh-options=-p22"), archive=ARCHIVE
    )
    assert [c.argv[1:4] for c in commands] == [
        ["remove-all-but-n-full", "2", "--force"],
        ["remove-older-than", "6M", "--force"],
        ["cleanup", "--force", "--name"],
    ]
    assert all(c.argv[-2:] == ["--ssh-options=-p22", "file:///backups/home"] for c in commands)


def test_no_retention_without_keep() -> None:
    assert retention_commands(task_of(), archive=ARCHIVE) == []


def test_restore_latest() -> None:
    command = restore_command(task_of(OPTIONS="-v info"), destination="/restored", archive=ARCHIVE)
    assert command.argv == [
        "duplicity",
        "restore",
        *COMMON,
        "-v",
        "info",
        "file:///backups/home",
        "/restored",
    ]


def test_restore_at_a_time_and_one_path() -> None:
    argv = restore_command(
        task_of(), destination="/r/etc/hosts", archive=ARCHIVE, time="3D", path="etc/hosts"
    ).argv
    assert argv[len(COMMON) + 2 :] == [
        "--time", "3D", "--path-to-restore", "etc/hosts", "file:///backups/home", "/r/etc/hosts",
    ]  # fmt: skip


def test_a_task_without_target_has_no_command() -> None:
    task = parse_config({"TASK_x_LOAD": "true"}).tasks["x"]
    with pytest.raises(ValueError, match="no TARGET"):
        backup_command(task, src="/s", archive=ARCHIVE)
    assert builtin_steps(task) == ()


def test_built_in_steps_are_the_argv_joined_for_bash() -> None:
    task = task_of(TARGET="sftp://u:pw@h/x", KEEP_FULL="2", SOURCE="/my data")
    assert builtin_steps(task) == ("load", "retention")
    load = backup_step(task, src="/s", archive=ARCHIVE)
    backup = backup_command(task, src="/s", archive=ARCHIVE)
    assert load == Step(shlex.join(backup.argv), {"BACKEND_PASSWORD": "pw"})
    assert shlex.split(load.command) == backup.argv  # "/my data" stays one word
    retention = retention_commands(task, archive=ARCHIVE)
    assert retention_step(task, archive=ARCHIVE).command == " && ".join(shlex.join(c.argv) for c in retention)


def test_an_own_load_keeps_only_the_retention_step() -> None:
    assert builtin_steps(task_of(LOAD="my-backup", KEEP="1Y")) == ("retention",)


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [
        ("", {"XDG_CACHE_HOME": "/cache"}, ArchiveDir("/cache/duplicity", "XDG_CACHE_HOME")),
        ("", {"XDG_CACHE_HOME": "/cache/"}, ArchiveDir("/cache/duplicity", "XDG_CACHE_HOME")),
        ("", {"XDG_CACHE_HOME": " "}, ArchiveDir("/home/u/.cache/duplicity", "HOME")),
        ("", {}, ArchiveDir("/home/u/.cache/duplicity", "HOME")),
        (
            "--archive-dir /a --archive-dir=/b",
            {"XDG_CACHE_HOME": "/c"},
            ArchiveDir("/b", "TASK_home_OPTIONS"),
        ),
        ("--archive-dir /a", {}, ArchiveDir("/a", "TASK_home_OPTIONS")),
    ],
)
def test_archive_dir(options: str, env: dict[str, str], expected: ArchiveDir) -> None:
    task = task_of(OPTIONS=options) if options else task_of()
    assert archive_dir(task, env, "/home/u") == expected


def test_verify_compares_the_data_of_the_latest_backup_at_notice_verbosity() -> None:
    from duplicity_cron.targets.duplicity import verify_command

    command = verify_command(task_of(OPTIONS="--volsize 5"), local="/workdir/home/verify", archive=ARCHIVE)
    notice = [word if word != "warning" else "notice" for word in COMMON]
    assert command.argv == [
        "duplicity", "verify", "--compare-data", *notice, "--volsize", "5", "file:///backups/home",
        "/workdir/home/verify",
    ]  # fmt: skip
    assert command.env == {}


def test_verify_takes_the_password_out_of_the_url() -> None:
    from duplicity_cron.targets.duplicity import verify_command

    env = {"TASK_home_TARGET": "sftp://backup:s3cret-pw@host//srv/home", "PASSPHRASE": "a long secret"}
    command = verify_command(parse_config(env).tasks["home"], local="/w", archive=ARCHIVE)
    assert "s3cret-pw" not in command.shell
    assert command.env == {"BACKEND_PASSWORD": "s3cret-pw"}


def test_restore_as_another_user_than_root_does_not_restore_ownership():
    """Duplicity 3.2.1 loses a file's mode where it cannot set its owner: any user but root restores
    without ownership, so the modes come back."""
    from duplicity_cron.model import Task
    from duplicity_cron.targets.duplicity import restore_command

    task = Task("home", {}, target="file:///backups/home")
    as_root = restore_command(task, destination="/out", archive="/cache/duplicity").argv
    as_user = restore_command(task, destination="/out", archive="/cache/duplicity", as_root=False).argv
    assert "--no-restore-ownership" not in as_root
    assert as_user.count("--no-restore-ownership") == 1
    assert [word for word in as_user if word != "--no-restore-ownership"] == as_root


def test_a_backup_with_progress_raises_the_verbosity_before_options() -> None:
    task = task_of(OPTIONS="-v info")
    command = backup_command(task, src="/src", archive=ARCHIVE, progress_interval=60)
    progress = ["-v", "notice", "--progress", "--progress-rate", "10"]
    assert command.argv[2 : 2 + len(COMMON) + len(progress)] == [*COMMON, *progress]
    assert command.argv.index("info") > command.argv.index("notice")  # the user's -v still wins
    quick = backup_command(task_of(), src="/src", archive=ARCHIVE, progress_interval=1)
    assert quick.argv[quick.argv.index("--progress-rate") + 1] == "1"
    assert "--progress" not in backup_command(task_of(), src="/src", archive=ARCHIVE).argv


def test_a_restore_with_progress_has_the_machine_log_on_stdout() -> None:
    command = restore_command(task_of(), destination="/r", archive=ARCHIVE, progress=True)
    assert command.argv[-4:] == ["--log-fd", "3", "file:///backups/home", "/r"]
    assert command.argv[2 + len(COMMON) : 4 + len(COMMON)] == ["-v", "info"]
    assert command.shell.endswith(" 3>&1 1>/dev/null")
    plain = restore_command(task_of(), destination="/r", archive=ARCHIVE)
    assert plain.redirect == "" and "--log-fd" not in plain.argv
