"""Duplicity 0.8 options that 3.2.1 removed, renamed or reads differently: configuration errors in a
task's OPTIONS (the runner passes them to every built-in command), start-up warnings in a step's
command line that calls duplicity (its own business, but it would fail at the first run).

Pure. The table was measured against the installed 3.2.1 (`duplicity collection-status OPTION URL`:
exit 23 "was removed in 2.0.0" / "was changed in 2.0.0" for each, or a warning and exit 0) and
compared with its own lists (`duplicity/cli_data.py`: `changed_options`, `removed_options`,
`removed_backup_options`) and with 0.8's `duplicity/commandline.py` (the optparse options of 0.8.2x,
read in the edeso/duplicity mirror): `--fail-on-volume` is 0.8's too and 3.2.1 does not know it.
`--time-separator`, which 3.2.1 lists as removed for backups, is still accepted by `backup`, `full`
and `incremental` (exit 0, measured; it now only changes how time strings are read): not here.
`tests/integration/test_duplicity_options.py` runs every entry against the installed duplicity.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OldOption:
    """What became of a duplicity 0.8 option in 3.x, and what to write instead."""

    name: str
    what: str  # "renamed", "removed", "needs =" (its value must be bound with `=`), "replaced"
    instead: str
    fatal: bool = True  # 3.2.1 refuses it (exit 23); False: it still runs, with a warning


OLD_OPTIONS: tuple[OldOption, ...] = (
    OldOption("--file-to-restore", "renamed", "use --path-to-restore PATH (or -r PATH)"),
    OldOption("--do-not-restore-ownership", "renamed", "use --no-restore-ownership"),
    OldOption("--s3-european-buckets", "removed", "drop it: a bucket keeps its region (--s3-region-name)"),
    OldOption("--s3-use-new-style", "removed", "drop it: boto3 always addresses buckets new-style"),
    OldOption(
        "--s3-use-multiprocessing", "removed", "drop it: boto3 uploads in parts (--s3-multipart-max-procs N)"
    ),
    OldOption("--s3-multipart-max-timeout", "removed", "drop it: boto3 has timeouts of its own"),
    OldOption("--short-filenames", "removed", "drop it: only the default file names remain"),
    OldOption("--old-filenames", "removed", "drop it: only the default file names remain"),
    OldOption("--gio", "removed", "use a gio+ URL (gio+sftp://host/path) for the GIO backend"),
    OldOption("--exclude-globbing-filelist", "removed", "use --exclude-filelist FILE"),
    OldOption("--include-globbing-filelist", "removed", "use --include-filelist FILE"),
    OldOption("--exclude-filelist-stdin", "removed", "use --exclude-filelist FILE"),
    OldOption("--include-filelist-stdin", "removed", "use --include-filelist FILE"),
    OldOption("--fail-on-volume", "removed", "drop it: it was for duplicity's own tests"),
    OldOption("--asynchronous-upload", "replaced", "use --concurrency N", fatal=False),
    # argparse takes a separate value that starts with '-' for an option: "expected one argument", or
    # worse, `--rsync-options -v` reads `-v` as duplicity's verbosity (exit 23, measured).
    OldOption("--gpg-options", "needs =", "write --gpg-options='--opt=value' (one word)"),
    OldOption("--ssh-options", "needs =", "write --ssh-options='-oOpt=value' (one word)"),
    OldOption("--rsync-options", "needs =", "write --rsync-options='--opt' (one word)"),
    OldOption("--par2-options", "needs =", "write --par2-options='-opt' (one word)"),
)
OLD_BY_NAME = {option.name: option for option in OLD_OPTIONS}
# Environment variables 3.x renamed: it still reads FTP_PASSWORD, with a warning, until 4.0.
OLD_VARIABLES = {"FTP_PASSWORD": "BACKEND_PASSWORD"}
# Words a command may start with before the program it runs.
_WRAPPERS = frozenset(
    {"exec", "env", "nice", "ionice", "nohup", "timeout", "time", "command", "sudo", "flock"}
)
_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "\n", ";;", "|&"})


def old_option_uses(words: Sequence[str]) -> Iterator[tuple[OldOption, str]]:
    """(the old option, the word as written) for each use in duplicity's arguments `words`."""
    for index, word in enumerate(words):
        name = word.split("=", 1)[0]
        option = OLD_BY_NAME.get(name)
        if option is None:
            continue
        if option.what == "needs =":
            bound = "=" in word
            following = words[index + 1] if index + 1 < len(words) else None
            if bound or (following is not None and not following.startswith("-")):
                continue  # `--gpg-options=-x`, or a value argparse takes as one
        yield option, word


def describe(option: OldOption) -> str:
    """What is wrong with the option, and what to write instead."""
    if option.what == "needs =":
        return (
            f"{option.name} with its value as the next word, which starts with '-': duplicity 3.x reads "
            f"that as an option of its own; {option.instead}"
        )
    if option.what == "replaced":
        return f"{option.name} only warns in duplicity 3.x (it was unsafe); {option.instead}"
    return f"{option.name} was {option.what} in duplicity 2.0 (3.x refuses it, exit 23); {option.instead}"


def options_problems(variable: str, options: Sequence[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a task's OPTIONS: what 3.2.1 refuses is an error, what it only warns
    about a warning; each names the variable and the replacement."""
    errors: list[str] = []
    warnings: list[str] = []
    for option, _word in old_option_uses(options):
        (errors if option.fatal else warnings).append(f"{variable}: {describe(option)}")
    return errors, warnings


def duplicity_calls(command: str) -> list[list[str]]:
    """The arguments of each simple command in a shell command line that runs duplicity: its first
    word (after `NAME=value` assignments), or the program after a wrapper such as `exec`, `nice` or
    `timeout`. Quoted text (`echo "duplicity --gio"`) is one word, not a call. A command that cannot
    be split (a here-document, an open quote) gives nothing: the shell will say what is wrong."""
    # A backslash-newline joins lines; a newline ends a command, as `;` does (doubled: shlex's reading
    # of a `#` comment swallows the newline that ends it).
    text = command.replace("\\\n", " ").replace("\n", "\n\n")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    try:
        tokens = [token if token.strip("\n") else "\n" for token in lexer]
    except ValueError:
        return []
    calls: list[list[str]] = []
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token in _OPERATORS:
            args = _duplicity_args(current)
            if args is not None:
                calls.append(args)
            current = []
        else:
            current.append(token)
    return calls


def _duplicity_args(words: list[str]) -> list[str] | None:
    rest = list(words)
    while rest and "=" in rest[0] and not rest[0].startswith("-"):
        rest.pop(0)  # NAME=value before the program
    if not rest:
        return None
    if _is_duplicity(rest[0]):
        return rest[1:]
    if rest[0] in _WRAPPERS:
        for index, word in enumerate(rest):
            if _is_duplicity(word):
                return rest[index + 1 :]
    return None


def _is_duplicity(word: str) -> bool:
    return word.rsplit("/", 1)[-1] == "duplicity"


def step_warnings(variable: str, command: str) -> list[str]:
    """Start-up warnings for the old options in the duplicity calls of a step's command line."""
    return [
        f"{variable}: {describe(option)}"
        for args in duplicity_calls(command)
        for option, _word in old_option_uses(args)
    ]


def variable_warnings(env: Mapping[str, str]) -> list[str]:
    """Start-up warnings for the environment variables 3.x renamed."""
    return [
        f"{old}: duplicity 3.x reads {new} (it still takes {old}, with a warning, until 4.0); rename it"
        for old, new in OLD_VARIABLES.items()
        if old in env
    ]
