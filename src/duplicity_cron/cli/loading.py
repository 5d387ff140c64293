"""The edge where configuration meets files: env files and secret files are read here, then judged by
the pure `config` package; Apprise judges the notification URLs. Every problem is told at once.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..config import Config, ConfigError, parse_config
from ..config.environment import EnvFile, Environment, layer_environment, parse_env_file
from ..config.secrets import MAX_SECRET_FILE_BYTES, MAX_SECRET_FILE_TEXT, SecretFileError
from ..config.task_variables import task_variables
from ..config.values import split_urls
from ..model import Task, builtin_steps
from ..monitoring import notifications
from ..runner.context import home_of
from ..runner.source_guard import kind_problem
from ..targets.duplicity import archive_dir


def _env_file(path: str) -> EnvFile:
    """The file's variables and problems: it cannot be read, or lines of it cannot be parsed."""
    if not Path(path).is_file():
        return EnvFile({}, (f"--env-file {path}: no such file",))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return EnvFile({}, (f"--env-file {path}: cannot read it: {exc}",))
    return parse_env_file(text, path)


def read_env_file(path: str) -> dict[str, str]:
    """Variables of a docker-style env file; ConfigError with every problem of the file."""
    env_file = _env_file(path)
    if env_file.problems:
        raise ConfigError(list(env_file.problems))
    return env_file.values


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_secret_file(path: str) -> str:
    """The text of a secret file: a regular file of at most `MAX_SECRET_FILE_BYTES`, else SecretFileError.

    Opened without blocking, so that a FIFO with no writer cannot hold the start-up, and judged by its
    type before anything is read: /dev/zero or a directory is refused, not read until memory runs out.
    At most one byte more than the limit is read, whatever the file claims its size is (/proc files).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "a special file")
            raise SecretFileError(f"it is not a regular file but {kind}")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SECRET_FILE_BYTES:
            chunk = os.read(fd, MAX_SECRET_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_SECRET_FILE_BYTES:
        raise SecretFileError(f"it is larger than {MAX_SECRET_FILE_TEXT}, the limit for a secret file")
    return b"".join(chunks).decode("utf-8")


def _layered(base: Mapping[str, str], env_files: Sequence[str]) -> tuple[Environment, list[str]]:
    """The environment from the lines that could be used, and every problem of every env file."""
    files = [_env_file(path) for path in env_files]
    environment = layer_environment(base, [env_file.values for env_file in files], read_secret_file)
    environment = replace(environment, values=with_own_duplicity(environment.values))
    return environment, [problem for env_file in files for problem in env_file.problems]


def with_own_duplicity(values: dict[str, str], executable: str = sys.executable) -> dict[str, str]:
    """`values` with this Python's bin folder at the end of PATH when duplicity is not on PATH but is
    there: `.venv/bin/duplicity-cron run` from a venv that is not activated finds the venv's duplicity,
    as the steps and the built-in commands call it by name. A duplicity on PATH always wins."""
    path = values.get("PATH", os.defpath)
    own = os.path.dirname(executable)
    if shutil.which("duplicity", path=path) is not None or shutil.which("duplicity", path=own) is None:
        return values
    return {**values, "PATH": f"{path}{os.pathsep}{own}" if path else own}


def build_environment(base: Mapping[str, str], env_files: Sequence[str] = ()) -> Environment:
    """Layer `env_files` (later ones win) over `base` and resolve secret `*_FILE` variables.

    Raises ConfigError with every env file problem; unusable secret files are returned as problems.
    """
    environment, problems = _layered(base, env_files)
    if problems:
        raise ConfigError(problems)
    return environment


def load(env_files: Sequence[str]) -> tuple[Environment, Config]:
    """Environment and configuration, or ConfigError with every problem found (env files' lines too:
    the variables they lose would only show as puzzling problems of their own, or not at all)."""
    environment, problems = _layered(os.environ, env_files)
    problems += environment.problems
    config: Config | None = None
    try:
        config = parse_config(environment.values, environment.unread)
    except ConfigError as exc:
        problems.extend(exc.problems)
    # Apprise judges the notification URLs whatever else is wrong: every problem is told at once.
    url_lists = (
        [("CONF_NOTIFY_URLS", environment.values["CONF_NOTIFY_URLS"])]
        if "CONF_NOTIFY_URLS" in environment.values
        else []
    )
    for name, value in url_lists + task_variables(environment.values, "NOTIFY_URLS"):
        problems += notifications.url_problems(name, split_urls(value))
    if config is not None:
        problems += archive_dir_problems(config, environment.values)
        problems += source_problems(config)
    if problems or config is None:
        raise ConfigError([environment.mask(problem) for problem in problems])
    return environment, config


# The steps that may make SOURCE before the built-in backup runs (the built-in dump is one: "extract").
_MAKING_STEPS = ("prepare", "extract", "transform")


def source_problems(config: Config) -> list[str]:
    """A SOURCE of the built-in backup that exists and is no folder (links followed), or that does not
    exist when no step of the task can make it: every run would fail, duplicity saying only that."""
    problems = []
    for task in sorted(config.tasks.values(), key=lambda t: t.id):
        if task.source is None or "load" not in builtin_steps(task):
            continue
        if (problem := kind_problem(task.id, task.source)) is not None:
            problems.append(problem)
        elif not os.path.exists(task.source) and not _makes_source(task):
            problems.append(_missing_source(task.id, task.source))
    return problems


def _makes_source(task: Task) -> bool:
    return any(step in task.steps or step in builtin_steps(task) for step in _MAKING_STEPS)


def _missing_source(task_id: str, source: str) -> str:
    what = f"is a link to {os.path.realpath(source)}, which " if os.path.islink(source) else ""
    return (
        f"TASK_{task_id}_SOURCE: {source} {what}does not exist, and no step of the task makes it (no "
        f"PREPARE, EXTRACT or TRANSFORM); create it, or set TASK_{task_id}_SOURCE to the folder to back up"
    )


def archive_dir_problems(config: Config, env: Mapping[str, str]) -> list[str]:
    """One line per duplicity cache folder of the tasks with TARGET that cannot be written (created
    when missing, as duplicity would): without it every built-in command would fail."""
    folders: dict[str, tuple[str, list[str]]] = {}
    for task in sorted(config.tasks.values(), key=lambda t: t.id):
        if task.target is not None:
            chosen = archive_dir(task, env, home_of(env))
            folders.setdefault(chosen.path, (chosen.variable, []))[1].append(task.id)
    problems = []
    for folder, (variable, tasks) in folders.items():
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            reason = exc.strerror or str(exc)
            problems.append(
                f"{variable}: duplicity's cache folder {folder} is not writable ({reason}); "
                f"needed by task(s) {', '.join(tasks)}"
            )
    return problems
