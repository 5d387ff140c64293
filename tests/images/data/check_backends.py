"""Runs inside an image: does every curated duplicity backend load?

For each backend module of the curated list, every `import` statement in duplicity's own source of
that module (most are inside functions, run only when the backend is used) must succeed, except
the few that duplicity itself treats as optional fallbacks. The scheme must be registered, and the
external programs the backend runs must be on PATH and start. Prints one JSON object; exit 1 if
anything is missing.
"""

import ast
import importlib
import json
import os
import shutil
import subprocess
import sys

import duplicity.backend
import duplicity.backends

# scheme -> (backend module, programs it runs)
CURATED = {
    "file": ("localbackend", []),
    "s3": ("s3_boto3_backend", []),
    "b2": ("b2backend", []),
    "sftp": ("ssh_paramiko_backend", []),
    "scp": ("ssh_paramiko_backend", []),
    "pexpect+sftp": ("ssh_pexpect_backend", ["ssh", "sftp"]),
    "pexpect+scp": ("ssh_pexpect_backend", ["ssh", "scp"]),
    "azure": ("azurebackend", []),
    "dpbx": ("dpbxbackend", []),
    "onedrive": ("onedrivebackend", []),
    "swift": ("swiftbackend", []),
    "webdav": ("webdavbackend", []),
    "webdavs": ("webdavbackend", []),
    "ftp": ("lftpbackend", ["lftp"]),
    "ftps": ("lftpbackend", ["lftp"]),
    "rsync": ("rsyncbackend", ["rsync", "ssh"]),
    "rclone": ("rclonebackend", ["rclone"]),
    "par2+": ("par2backend", ["par2"]),
}
# imports duplicity guards with `except ImportError` (fallbacks for old library versions, an
# optional kerberos login, a module gone from Python 3.13)
OPTIONAL = {
    "webdavbackend": {"kerberos"},
    "lftpbackend": {"pipes"},
    "b2backend": {
        "b2sdk.v2",
        "b2sdk.v2.exception",
        "b2sdk.v1",
        "b2sdk.v1.exception",
        "b2sdk.v1.file_version",
        "b2sdk.api",
        "b2sdk.account_info",
        "b2sdk.download_dest",
        "b2sdk.exception",
        "b2sdk.file_version",
    },
}
# what the library needs beyond duplicity's own import lines
EXTRA = {
    # swift:// with SWIFT_AUTHVERSION 2 or 3 authenticates through keystoneclient
    "swiftbackend": ["keystoneclient.v3.client", "keystoneauth1.identity.v3", "swiftclient.service"],
}
VERSION_ARGS = {"ssh": ["-V"], "sftp": None, "scp": None, "rclone": ["version"], "par2": ["-V"]}


def imported_names(module_name):
    source = importlib.util.find_spec(f"duplicity.backends.{module_name}").origin
    with open(source, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return sorted({n for n in names if not n.startswith("duplicity")})


def check_program(name):
    path = shutil.which(name)
    if not path:
        return f"program {name} not on PATH"
    args = VERSION_ARGS.get(name, ["--version"])
    if args is None:
        return None
    proc = subprocess.run([path, *args], capture_output=True, timeout=30, check=False)
    if proc.returncode != 0:
        return f"{name} {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[-200:]}"
    return None


class _Block:
    """CHECK_BACKENDS_BLOCK=mod1,mod2 makes those modules unimportable (lets the tests prove that
    this check fails when a library is missing)."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"blocked for the test: {name}")
        return None


def main():
    blocked = [n for n in os.environ.get("CHECK_BACKENDS_BLOCK", "").split(",") if n]
    if blocked:
        sys.meta_path.insert(0, _Block(blocked))
    duplicity.backend.import_backends()
    registered = set(duplicity.backend._backends) | set(duplicity.backend._backend_prefixes)
    report = {}
    for scheme, (module, programs) in CURATED.items():
        errors = []
        if scheme.rstrip("+") not in registered:
            errors.append(f"scheme {scheme} not registered")
        importlib.import_module(f"duplicity.backends.{module}")
        for name in imported_names(module) + EXTRA.get(module, []):
            try:
                importlib.import_module(name)
            except ImportError as exc:
                if name not in OPTIONAL.get(module, set()):
                    errors.append(f"import {name}: {exc}")
        for program in [*programs, "gpg", "gpg-agent"]:
            problem = check_program(program)
            if problem:
                errors.append(problem)
        report[scheme] = errors
    print(json.dumps(report, indent=1, sort_keys=True))
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
