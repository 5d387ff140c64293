"""What the built-in duplicity commands need around them, against duplicity's traps: a private,
writable GNUPGHOME per run (gpg fails with a misleading pinentry error without one) holding the
task's keys when it encrypts to a public key, the archive folder, and the gpg-agent that every
GNUPGHOME leaves running, ended after the run.

The command lines themselves are `targets.duplicity`'s; this module gives them their places.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..config.duplicity_values import GNUPG_FOLDER
from ..config.encryption import restore_key_problem
from ..databases.steps import DumpRequest, dump_shell
from ..model import Task, dumps_databases
from ..targets.duplicity import Step, archive_dir, builtin_step_commands
from . import children

GNUPG_MODE = 0o700
# How a passphrase becomes the key (OpenPGP's S2K), for symmetric encryption. The count: without one,
# each gpg asks the gpg-agent, which a fresh GNUPGHOME first has to start and calibrate (100 ms of
# hashing: measured here 156,979,200), and gpg uses at most 65,011,712, the largest count OpenPGP can
# encode: here the same count every run, 1.1 s sooner, and no agent starts for a passphrase at all (a
# slower CPU gets this count too, stronger than its calibration). The digest: gpg's default is
# SHA-1; SHA-256 is stronger, and with the CPU's SHA extensions each gpg took 0.13 s instead of 0.26.
GPG_CONF = "s2k-count 65011712\ns2k-digest-algo SHA256\n"
_GPGCONF_SECONDS = 10.0
_GPG_SECONDS = 60.0  # an import of a key takes milliseconds; a gpg that hangs must not hold the run
# gpg's lines that say nothing about a failed import: its counts, new files, each skipped character.
_GPG_CHATTER = re.compile(r"^gpg: +[A-Za-z ]+: +\d+$|created$|invalid radix64 character")


class KeyringError(Exception):
    """The task's keys cannot be put into its GNUPGHOME; the message says why, in one line, and never
    holds key material."""


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
    """An empty folder of mode 700 (gpg refuses a home others can read) holding only GPG_CONF; what
    was in it goes."""
    empty_dir(path)
    os.chmod(path, GNUPG_MODE)
    (path / "gpg.conf").write_text(GPG_CONF)


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


def prepare_keyring(task: Task, home: Path, env: Mapping[str, str], *, secret: bool) -> dict[str, str]:
    """Make `home` the GNUPGHOME of `task`'s built-in duplicity commands and return what their
    environment needs (GNUPGHOME; PASSPHRASE too, see below). For the run, `restore TASK` and verify.

    `home` is emptied (mode 700). With ENCRYPT_KEY, PUBLIC_KEY is imported into it, and with `secret`
    (restore, verify: they decrypt) PRIVATE_KEY too; each through gpg's stdin, never a command line or
    another file. KeyringError when a key is missing (PRIVATE_KEY for `secret`), gpg refuses it, or it
    does not hold ENCRYPT_KEY's fingerprint (a key that cannot encrypt, for the public one). With
    `secret` and PASSPHRASE unset, PASSPHRASE is "" (a key without a passphrase): duplicity asks for
    one on a terminal otherwise, and fails with a traceback where there is none (measured, 3.2.1).
    """
    prepare_gnupg_home(home)
    added = {"GNUPGHOME": str(home)}
    if task.encrypt_key is None:
        return added
    prefix = f"TASK_{task.id}_"
    if task.public_key is None:  # the configuration refuses it; a Task built elsewhere may lack it
        raise KeyringError(f"{prefix}ENCRYPT_KEY is set but {prefix}PUBLIC_KEY is not")
    _import_key(home, env, task.public_key, f"{prefix}PUBLIC_KEY")
    _check_key(home, env, task, secret=False)
    if not secret:
        return added
    problem = restore_key_problem(task)
    if problem is not None or task.private_key is None:
        raise KeyringError(problem or f"{prefix}PRIVATE_KEY is not set")
    _import_key(home, env, task.private_key, f"{prefix}PRIVATE_KEY")
    _check_key(home, env, task, secret=True)
    if "PASSPHRASE" not in env:
        added["PASSPHRASE"] = ""
    return added


def _gpg(home: Path, env: Mapping[str, str], args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """gpg on `home` in batch mode: (exit code, stdout, stderr). KeyringError when it cannot run."""
    command = ["gpg", "--homedir", str(home), "--batch", "--no-tty", *args]
    try:
        proc = children.spawn(
            command,
            env={**env, "GNUPGHOME": str(home)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise KeyringError(f"cannot run gpg: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(stdin, timeout=_GPG_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise KeyringError(f"gpg did not finish within {_GPG_SECONDS:g}s") from None
    finally:
        children.release(proc.pid)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _import_key(home: Path, env: Mapping[str, str], key: str, variable: str) -> None:
    code, _out, err = _gpg(home, env, ["--import"], key.encode())
    if code != 0:
        lines = [line.strip() for line in err.splitlines() if line.strip() and not _GPG_CHATTER.search(line)]
        reason = "; ".join(lines[-2:]) or f"exit code {code}"
        raise KeyringError(f"gpg cannot import {variable}: {reason}")


def _check_key(home: Path, env: Mapping[str, str], task: Task, *, secret: bool) -> None:
    """The imported key holds ENCRYPT_KEY's fingerprint (its primary key's or a subkey's) and, public,
    can encrypt."""
    prefix = f"TASK_{task.id}_"
    listing = "--list-secret-keys" if secret else "--list-keys"
    _code, out, _err = _gpg(home, env, ["--with-colons", "--fixed-list-mode", listing])
    keys = _colon_keys(out, "sec" if secret else "pub")
    found = next((usable for fingerprints, usable in keys if task.encrypt_key in fingerprints), None)
    variable = prefix + ("PRIVATE_KEY" if secret else "PUBLIC_KEY")
    if found is None:
        held = ", ".join(fingerprints[0] for fingerprints, _usable in keys if fingerprints) or "none"
        kind = "private key" if secret else "key"
        raise KeyringError(
            f"{variable} holds no {kind} with the fingerprint {prefix}ENCRYPT_KEY names (it holds: {held})"
        )
    if not secret and "E" not in found:
        raise KeyringError(
            f"the key of {variable} cannot encrypt (expired, revoked, or without an encryption subkey)"
        )


def _colon_keys(listing: str, kind: str) -> list[tuple[list[str], str]]:
    """(fingerprints of the key and its subkeys, the key's usable capabilities) of each key in gpg's
    `--with-colons` listing: `pub`/`sec` records start a key, `fpr` records follow each (sub)key."""
    keys: list[tuple[list[str], str]] = []
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == kind:
            keys.append(([], fields[11] if len(fields) > 11 else ""))
        elif fields[0] == "fpr" and keys and len(fields) > 9:
            keys[-1][0].append(fields[9])
    return keys


def has_cached_chain(task: Task, env: Mapping[str, str]) -> bool:
    """Whether duplicity's cache for the task (`<archive>/<id>`) holds a full backup's manifest: the
    start of a chain an incremental can follow without reading the target's signatures."""
    folder = Path(archive_path(task, env)) / task.id
    try:
        return any(entry.name.startswith("duplicity-full.") for entry in folder.iterdir())
    except OSError:
        return False


def needs_new_chain(task: Task, env: Mapping[str, str]) -> bool:
    """With ENCRYPT_KEY and no chain in the cache, the built-in backup is a new full chain (the run's
    keyring has no private key to read the target's signatures with)."""
    return task.encrypt_key is not None and not has_cached_chain(task, env)


def run_steps_of(
    task: Task,
    work_dir: Path,
    env: Mapping[str, str],
    progress_interval: float = 0,
    new_chain: bool | None = None,
) -> dict[str, Step]:
    """Every step of a run of `task`: its own (with nothing added to their environment) and the
    built-in ones, which also get the run's private GNUPGHOME.

    With `new_chain` (by default `needs_new_chain`) the built-in backup is `duplicity full`, and says why.
    """
    steps = {name: Step(command, {}) for name, command in task.steps.items()}
    if new_chain is None:
        new_chain = needs_new_chain(task, env)
    builtin = builtin_step_commands(
        task, src=str(work_dir / task.id / "src"), archive=archive_path(task, env), new_chain=new_chain,
        progress_interval=progress_interval,
    )  # fmt: skip
    gnupg = {"GNUPGHOME": str(gnupg_home(work_dir, task.id))}
    for name, step in builtin.items():
        steps[name] = Step(step.command, {**step.env, **gnupg}, step.notice)
    if dumps_databases(task):
        steps["extract"] = dump_step(task)
    return steps


def dump_step(task: Task) -> Step:
    """The built-in EXTRACT: `databases.dump` run by this Python, told what to dump in its environment
    (the URL and the password never in a command line)."""
    return Step(dump_shell(), DumpRequest.for_task(task).to_env())
