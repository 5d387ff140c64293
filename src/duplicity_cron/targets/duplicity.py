"""Duplicity 3.2.1 as a backup target: the argv of `backup`, of the retention commands, of `restore`
and of `verify` for a task with TARGET, each with the environment it adds (the URL's password as
BACKEND_PASSWORD).

Pure, like borgmatic's `borg/prune.py`: building a command line is separate from running it
(`runner.keyring`, `cli.restore_task`). What each option is for, measured on 3.2.1:

- `--name TASK`: the archive cache (`<archive-dir>/<name>`) is keyed by the task, not by a hash of
  the URL: it survives a changed password or host alias, and two tasks never share one.
- `--allow-source-mismatch` (backup only): duplicity writes the hostname and the source folder into
  every manifest and refuses an incremental when either changed (exit 3), to catch two machines
  writing into one target. A re-created container has a new hostname every time, so that check would
  fail every backup after it; 3.2.1 has no option to set the hostname. The runner guards the same
  mistake where it can see it: two tasks that back up into one TARGET are a configuration error.
- `-v warning`: warnings and errors only, without the stray `DEBUG:` notices 3.2.1 prints at its
  default verbosity; the statistics block after a backup is printed at any verbosity.
- `--num-retries 3 --backend-retry-delay 30`: three attempts 30 s apart, so a dead backend fails the
  run in about a minute (duplicity's own 5 and 30 s take two); OPTIONS can change them.
- `--gpg-options=--compress-algo=none` when the task's EXTRACT is the built-in dump
  (`config.task_keys.dumps_databases`): its files are compressed already, and gpg compressing them again
  cost 7 of the 9.5 s of a 1 GB PostgreSQL backup (measured with gpg 2.2.40, 2 cores, file:// target).
- OPTIONS come after the runner's options: in duplicity's argparse the later option wins.
- `--encrypt-key FPR` (with ENCRYPT_KEY, every command): encrypt to that public key, imported into
  the run's GNUPGHOME by `runner.keyring.prepare_keyring`. No trust option is needed: 3.2.1 calls gpg
  with `--always-trust` (its `gpg.py`, GPGFile), measured: a key imported without ownertrust works.
- Progress (CONF_PROGRESS_INTERVAL, `runner.progress`): a backup gets `-v notice --progress
  --progress-rate N` (its progress lines come at notice level only); a restore, which has no
  `--progress` output in 3.2.1, gets `-v info --log-fd 3`, stdout redirected to that machine-readable
  log (its per-volume records are the only progress a restore reports).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..config.duplicity_values import DEFAULT_FULL_EVERY, split_url_password
from ..model import Task, dumps_databases

PROGRAM = "duplicity"
NUM_RETRIES = 3
BACKEND_RETRY_DELAY = 30  # seconds
VERBOSITY = "warning"
# For a source compressed already: gpg stores it as it is (duplicity's own default is gpg's zlib).
NO_GPG_COMPRESSION = "--gpg-options=--compress-algo=none"
VERIFY_VERBOSITY = "notice"  # verify prints its differences at this level, not at warning
PROGRESS_RATE_MAX = 10  # seconds between duplicity's progress lines: a sample is at most this old
MACHINE_LOG_FD = 3


@dataclass(frozen=True)
class Command:
    """One duplicity command: its argv, and what it adds to the environment (for it alone)."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    redirect: str = ""  # shell redirections after the argv

    @property
    def shell(self) -> str:
        """The argv as one `bash -c` command line, each word quoted."""
        return shlex.join(self.argv) + (f" {self.redirect}" if self.redirect else "")


@dataclass(frozen=True)
class ArchiveDir:
    """Duplicity's archive (cache) folder for a task, and the variable that chose it."""

    path: str
    variable: str


def archive_dir(task: Task, env: Mapping[str, str], home: str) -> ArchiveDir:
    """`--archive-dir` of OPTIONS (the last one, as duplicity reads it), else duplicity's own default:
    `$XDG_CACHE_HOME/duplicity`, or `~/.cache/duplicity` (`home` is `~`)."""
    chosen: str | None = None
    words = list(task.options)
    for index, word in enumerate(words):
        if word == "--archive-dir" and index + 1 < len(words):
            chosen = words[index + 1]
        elif word.startswith("--archive-dir="):
            chosen = word.split("=", 1)[1]
    if chosen:
        return ArchiveDir(chosen, f"TASK_{task.id}_OPTIONS")
    if env.get("XDG_CACHE_HOME", "").strip():
        return ArchiveDir(env["XDG_CACHE_HOME"].rstrip("/") + "/duplicity", "XDG_CACHE_HOME")
    return ArchiveDir(home.rstrip("/") + "/.cache/duplicity", "HOME")


def _target(task: Task) -> tuple[str, dict[str, str]]:
    """The URL to write in argv, without its password, and BACKEND_PASSWORD carrying it."""
    if task.target is None:
        raise ValueError(f"task {task.id} has no TARGET")
    url, password = split_url_password(task.target)
    return url, ({} if password is None else {"BACKEND_PASSWORD": password})


def encryption_options(task: Task) -> list[str]:
    """`--encrypt-key FPR` for a task with ENCRYPT_KEY; none for PASSPHRASE's symmetric encryption."""
    return [] if task.encrypt_key is None else ["--encrypt-key", task.encrypt_key]


def _common(task: Task, archive: str) -> list[str]:
    return [
        "--name", task.id,
        "--archive-dir", archive,
        "-v", VERBOSITY,
        "--num-retries", str(NUM_RETRIES),
        "--backend-retry-delay", str(BACKEND_RETRY_DELAY),
        *encryption_options(task),
    ]  # fmt: skip


def progress_rate(interval: float) -> int:
    """duplicity's `--progress-rate` for a progress line every `interval` seconds."""
    return max(1, min(int(interval), PROGRESS_RATE_MAX))


def backup_command(
    task: Task, *, src: str, archive: str, full: bool = False, progress_interval: float = 0
) -> Command:
    """`duplicity backup` of SOURCE (default `src`, the run's $SRC): full when the last full is older
    than FULL_EVERY, incremental otherwise; `duplicity full` with `full` (a new chain); with progress
    lines when `progress_interval` > 0."""
    url, env = _target(task)
    progress = ["-v", "notice", "--progress", "--progress-rate", str(progress_rate(progress_interval))]
    argv = [PROGRAM, "full" if full else "backup", *_common(task, archive)]
    argv += progress if progress_interval > 0 else []
    if not full:
        argv += ["--full-if-older-than", task.full_every or DEFAULT_FULL_EVERY]
    argv += ["--allow-source-mismatch", *([NO_GPG_COMPRESSION] if dumps_databases(task) else [])]
    argv += [*task.options, task.source or src, url]
    return Command(argv, env)


def retention_commands(task: Task, *, archive: str) -> list[Command]:
    """KEEP_FULL's `remove-all-but-n-full N --force`, KEEP's `remove-older-than T --force`, then
    `cleanup --force` (the files of a run cut short). Empty when neither is set.

    Duplicity never removes a set that a newer one depends on: the chain of the newest backup stays.
    """
    url, env = _target(task)
    commands = []
    if task.keep_full is not None:
        commands.append(["remove-all-but-n-full", str(task.keep_full), "--force"])
    if task.keep is not None:
        commands.append(["remove-older-than", task.keep, "--force"])
    if commands:
        commands.append(["cleanup", "--force"])
    return [
        Command([PROGRAM, *words, *_common(task, archive), *task.options, url], env) for words in commands
    ]


def restore_command(
    task: Task,
    *,
    destination: str,
    archive: str,
    time: str | None = None,
    path: str | None = None,
    as_root: bool = True,
    progress: bool = False,
) -> Command:
    """`duplicity restore` of the latest backup, or of the one at `time`; only `path` (relative to
    SOURCE) when given. `destination` must not exist or be empty: duplicity refuses anything else.
    With `progress`, stdout is duplicity's machine-readable log (`runner.progress.MachineLogFilter`).

    Not `as_root`, `--no-restore-ownership`: 3.2.1 sets a file's mode only after its owner, so where
    the chown fails (a file of another user or group, as any user but root) the mode is lost too and
    the restore still exits 0 ("Error '[Errno 1] Operation not permitted' processing", measured as uid
    1000 in the cron image: a folder of mode 700 came back 755)."""
    url, env = _target(task)
    argv = [PROGRAM, "restore", *_common(task, archive)]
    if not as_root:
        argv.append("--no-restore-ownership")
    if progress:
        argv += ["-v", "info"]
    if time is not None:
        argv += ["--time", time]
    if path is not None:
        argv += ["--path-to-restore", path]
    if not progress:
        return Command([*argv, *task.options, url, destination], env)
    log_fd = ["--log-fd", str(MACHINE_LOG_FD)]
    redirect = f"{MACHINE_LOG_FD}>&1 1>/dev/null"
    return Command([*argv, *task.options, *log_fd, url, destination], env, redirect)


def collection_status_command(task: Task, *, archive: str) -> Command:
    """`duplicity collection-status` of TARGET, with the machine-readable record on stdout
    (`--log-fd 1`, read by `targets.collection_status`). It lists the target's files only: no
    passphrase, no download of signatures (measured with an empty archive folder)."""
    url, env = _target(task)
    argv = [PROGRAM, "collection-status", *_common(task, archive), *task.options, "--log-fd", "1", url]
    return Command(argv, env)


def verify_command(task: Task, *, local: str, archive: str) -> Command:
    """`duplicity verify --compare-data` of the latest backup against `local` (a restore of it): every
    volume read, decrypted and its content compared. Verbosity `notice`, where 3.2.1 prints each
    difference ("Difference found: File x is missing") and its count; exit code 1 when there is one."""
    url, env = _target(task)
    common = _common(task, archive)
    common[common.index("-v") + 1] = VERIFY_VERBOSITY
    return Command([PROGRAM, "verify", "--compare-data", *common, *task.options, url, local], env)


@dataclass(frozen=True)
class Step:
    """A built-in step as the chain runs it: a `bash -c` command and its own environment additions,
    and a warning to log when it starts."""

    command: str
    env: dict[str, str]
    notice: str | None = None


def _joined(commands: Sequence[Command]) -> Step:
    env: dict[str, str] = {}
    for command in commands:
        env.update(command.env)
    return Step(" && ".join(command.shell for command in commands), env)


# Why a backup with ENCRYPT_KEY is a new full chain when the cache holds none (see `new_chain_notice`).
NEW_CHAIN_NOTICE = (
    "a full backup, a new chain: duplicity's cache {cache} holds no backup chain of this task, and with "
    "ENCRYPT_KEY the signatures of one in TARGET cannot be read without the private key (duplicity would "
    "fail, exit 31); keep the cache on a volume to keep making incrementals"
)


def backup_step(
    task: Task, *, src: str, archive: str, new_chain: bool = False, progress_interval: float = 0
) -> Step:
    """The built-in `load` step: the backup. With `new_chain` it is `duplicity full`, with a notice
    saying why (`NEW_CHAIN_NOTICE`). Which built-in steps a run has is `model.builtin_steps`' to say."""
    backup = backup_command(
        task, src=src, archive=archive, full=new_chain, progress_interval=progress_interval
    )
    notice = NEW_CHAIN_NOTICE.format(cache=f"{archive}/{task.id}") if new_chain else None
    return replace(_joined([backup]), notice=notice)


def retention_step(task: Task, *, archive: str) -> Step:
    """The built-in `retention` step: its commands one after the other, stopping at the first that fails."""
    return _joined(retention_commands(task, archive=archive))
