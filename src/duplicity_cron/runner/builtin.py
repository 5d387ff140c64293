"""What the built-in duplicity commands need around them, against duplicity's traps: a private,
writable GNUPGHOME per run (gpg fails with a misleading pinentry error without one), the archive
folder, and the gpg-agent that every GNUPGHOME leaves running, ended after the run.

The command lines themselves are `targets.duplicity`'s; this module gives them their places.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..config.duplicity_values import GNUPG_FOLDER
from ..model import Task
from ..targets.duplicity import Step, archive_dir, builtin_step_commands
from . import children

GNUPG_MODE = 0o700
_GPGCONF_SECONDS = 10.0


def home_of(env: Mapping[str, str]) -> str:
    """`~` as duplicity would expand it for the steps: their HOME, else this user's home."""
    return env.get("HOME") or os.path.expanduser("~")


def archive_path(task: Task, env: Mapping[str, str]) -> str:
    return archive_dir(task, env, home_of(env)).path


def gnupg_home(work_dir: Path, task_id: str) -> Path:
    """The run's GNUPGHOME: `<work>/<id>/gnupg` (short: gpg-agent's sockets live in it, and the
    configuration refuses a work folder too long for their paths)."""
    return work_dir / task_id / GNUPG_FOLDER


def empty_dir(path: Path) -> None:
    """Make `path` an empty folder. Its content goes, the folder itself stays (it may be a mount point)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def prepare_gnupg_home(path: Path) -> None:
    """An empty folder of mode 700 (gpg refuses a home others can read); its content goes."""
    empty_dir(path)
    os.chmod(path, GNUPG_MODE)


def end_gpg_agent(path: Path) -> None:
    """`gpgconf --homedir DIR --kill gpg-agent`: the agent would outlive the run (and, under a PID 1
    that does not reap, leave zombies). Best effort: a missing gpgconf or agent is no error."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        proc = children.spawn(
            ["gpgconf", "--homedir", str(path), "--kill", "gpg-agent"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(_GPGCONF_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            children.release(proc.pid)


def run_steps_of(
    task: Task, work_dir: Path, env: Mapping[str, str], progress_interval: float = 0
) -> dict[str, Step]:
    """Every step of a run of `task`: its own (with nothing added to their environment) and the
    built-in ones, which also get the run's private GNUPGHOME."""
    steps = {name: Step(command, {}) for name, command in task.steps.items()}
    builtin = builtin_step_commands(
        task, src=str(work_dir / task.id / "src"), archive=archive_path(task, env),
        progress_interval=progress_interval,
    )  # fmt: skip
    gnupg = {"GNUPGHOME": str(gnupg_home(work_dir, task.id))}
    for name, step in builtin.items():
        steps[name] = Step(step.command, {**step.env, **gnupg})
    return steps
