"""What the tests of the built-in backup share: a task with TARGET on file:// folders of the test, the
chains a target holds (read from its file names), and real duplicity commands to set one up."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from duplicity_cron.runner.whole_seconds import seconds_to_wait

from .conftest import base_env_path, require

PASSPHRASE = "canary-Backup-Pa55phrase-4e1d"
_MANIFEST = re.compile(
    r"duplicity-(?:full\.(?P<full>\w+)|inc\.(?P<start>\w+)\.to\.(?P<end>\w+))\.manifest\.gpg"
)


@dataclass
class Places:
    data: Path
    target: Path
    cache: Path

    @property
    def url(self) -> str:
        return f"file://{self.target}"


def places(tmp_path: Path) -> Places:
    require("duplicity")
    require("gpg")
    found = Places(tmp_path / "data", tmp_path / "target", tmp_path / "cache")
    found.data.mkdir()
    return found


def backup_env(where: Places, task: str = "home", **keys: str) -> dict[str, str]:
    """A backup task: SOURCE the data folder, TARGET a file:// folder, the cache in the test's folder."""
    env = {
        "PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(where.cache),
        f"TASK_{task}_SOURCE": str(where.data),
        f"TASK_{task}_TARGET": where.url,
    }
    env.update({f"TASK_{task}_{key}": value for key, value in keys.items()})
    return env


def chains(target: Path) -> dict[str, list[str]]:
    """Each chain of `target` by the time of its full backup, with the end times of its incrementals."""
    fulls: dict[str, list[str]] = {}
    incs: list[tuple[str, str]] = []
    for name in sorted(path.name for path in target.iterdir()):
        match = _MANIFEST.fullmatch(name)
        if match and match["full"]:
            fulls[match["full"]] = []
        elif match:
            incs.append((match["start"], match["end"]))
    for start, end in sorted(incs, key=lambda inc: inc[1]):
        for full, ends in fulls.items():
            if start == (ends[-1] if ends else full):
                ends.append(end)
    return fulls


def duplicity(*args: str, where: Places, name: str = "home", current_time: int | None = None) -> None:
    """Run real duplicity against the target (setting up chains the test then works on); `current_time`
    dates the backup in the past, as duplicity's own tests do."""
    gnupg = where.cache.parent / "setup-gnupg"
    gnupg.mkdir(mode=0o700, exist_ok=True)
    when = [] if current_time is None else ["--current-time", str(current_time)]
    command = ["duplicity", *args[:1], "-v", "warning", "--no-print-statistics", "--name", name]
    command += ["--archive-dir", str(where.cache / "duplicity"), *when, *args[1:]]
    env = {"PATH": base_env_path(), "PASSPHRASE": PASSPHRASE, "GNUPGHOME": str(gnupg), "HOME": str(gnupg)}
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False, env=env)


@dataclass(frozen=True)
class KeyPair:
    """An OpenPGP key made for a test: its fingerprint and its armored public and private key files."""

    fingerprint: str
    public: Path
    private: Path


def make_key_pair(folder: Path, passphrase: str = "", name: str = "Backup Test") -> KeyPair:
    """A real ed25519 key with a cv25519 encryption subkey (gpg 2.2, fast to make), protected by
    `passphrase` when given, exported armored as `gpg --export --armor` and `--export-secret-keys`."""
    gnupg = folder / "keygen-gnupg"
    gnupg.mkdir(mode=0o700, parents=True)
    env = {"PATH": base_env_path(), "GNUPGHOME": str(gnupg), "HOME": str(gnupg)}
    secret = ["--pinentry-mode", "loopback", "--passphrase", passphrase]

    def gpg(*args: str) -> str:
        done = subprocess.run(["gpg", "--batch", *args], env=env, check=True, capture_output=True, timeout=60)
        return done.stdout.decode()

    try:
        gpg(*secret, "--quick-gen-key", f"{name} <backup@example.invalid>", "ed25519", "cert", "never")
        listing = gpg("--with-colons", "--list-keys")
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        gpg(*secret, "--quick-add-key", fingerprint, "cv25519", "encr", "never")
        public, private = folder / f"{name}.pub.asc", folder / f"{name}.key.asc"
        public.write_text(gpg("--armor", "--export", fingerprint))
        private.write_text(gpg(*secret, "--armor", "--export-secret-keys", fingerprint))
    finally:
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], check=False, env=env)
    return KeyPair(fingerprint, public, private)


def wait_for_the_next_second() -> None:
    """Sleep until whatever is written next has an mtime in a later whole second than anything written
    (or backed up) so far, as duplicity needs to see a change (tests/file_changes.py): the runner's own
    wait between runs, with "now" as the previous run's end."""
    now = datetime.now(UTC)
    time.sleep(seconds_to_wait(now, now))
