"""The environment the runner and its steps see: the process environment, env files layered over it,
and secrets read from `*_FILE` variables; and the masker for every secret in it.

Pure: env files come as text and secret files through a function passed in; `cli.loading` reads them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dotenv.parser import Binding, parse_stream

from .secrets import Masker, find_secrets, resolve_secret_files, short_secret_warnings


@dataclass(frozen=True)
class Environment:
    values: dict[str, str]
    mask: Masker
    problems: tuple[str, ...]  # unusable secret files: configuration errors to report with the others
    warnings: tuple[str, ...]  # secret files shadowed by their variable, secrets too short to mask
    unread: frozenset[str] = frozenset()  # the NAMEs whose NAME_FILE is one of `problems`


@dataclass(frozen=True)
class EnvFile:
    """An env file's variables, and one problem per line that cannot be used (reported with the others)."""

    values: dict[str, str]
    problems: tuple[str, ...]


# What a line that python-dotenv could not parse was meant to be, to say what is wrong with it.
_LINE = re.compile(
    r"[^\S\r\n]*(?:export[^\S\r\n]+)?"  # python-dotenv's optional `export `
    r"(?P<name>'[^'\n]+'|[^=#\s]+)?[^\S\r\n]*(?P<eq>=)?[^\S\r\n]*(?P<value>.*)",
    re.DOTALL,
)
_CLOSED = {'"': re.compile(r'"(?:\\.|[^"\\])*"', re.DOTALL), "'": re.compile(r"'(?:\\.|[^'\\])*'", re.DOTALL)}
# A bare `NAME` passes NAME from the host, as in docker; anything else without `=` is a mistake.
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# A line of a multi-line quoted value that looks like one of our own variables: a quote left open.
_SWALLOWED = re.compile(r"[^\S\n]*(?:export[^\S\n]+)?(?:TASK|CONF)_[^=\s]*=")


def parse_env_file(text: str, path: str) -> EnvFile:
    """Variables of a docker-style env file (`NAME=value` lines, `#` comments), via python-dotenv.

    Every line it cannot parse, a NUL character, a variable set twice and a quoted value that swallows
    our own variables are problems naming `path` and the line: nothing may vanish silently. A bare
    `NAME` line takes nothing here: in docker it means "pass NAME from the host", which the process
    environment already does. Problems never quote a value: it may be a secret.
    """
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        line, string = _own_line(binding)
        problem = _binding_problem(binding, line, string, lines)
        if problem:
            problems.append(f"--env-file {path}:{line}: {problem}")
        elif binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
            lines[binding.key] = line
    return EnvFile(values, tuple(problems))


def _own_line(binding: Binding) -> tuple[int, str]:
    """The binding's first line and text without the blank lines before it, which python-dotenv counts
    as part of it."""
    string = binding.original.string
    text = string.lstrip()
    blank = string[: len(string) - len(text)]
    breaks = blank.count("\n") + blank.count("\r") - blank.count("\r\n")
    return binding.original.line + breaks, text


def _binding_problem(binding: Binding, line: int, string: str, lines: Mapping[str, int]) -> str | None:
    """What is wrong with one binding of python-dotenv, or None."""
    key, value = binding.key, binding.value
    if binding.error:
        return _syntax_problem(string, line)
    if key is None:  # a comment or a blank line
        return None
    if value is None:
        if key == "export":
            return "'export' without NAME=value"
        return None if _BARE_NAME.fullmatch(key) else "expected NAME=value (a name, '=', then the value)"
    if "\0" in key or "\0" in value:
        return f"{key}: contains a NUL character, which no environment variable can hold"
    if key in lines:
        return f"{key}: already set on line {lines[key]} of this file; keep one"
    for offset, text in enumerate(string.splitlines()[1:], start=1):
        if _SWALLOWED.match(text):
            return (
                f"{key}: its quoted value runs on to line {line + offset}, which looks like a "
                "variable of its own: is a closing quote missing?"
            )
    return None


def _syntax_problem(string: str, line: int) -> str:
    """Why python-dotenv could not parse `string` (from `line` on), naming the variable when there is
    one (the text before `=`); the rest of the line is never shown."""
    match = _LINE.match(string)
    assert match is not None  # every part of the pattern is optional
    name, rest = match.group("name"), match.group("value")
    if match.group("eq") is None:
        return "expected NAME=value (a name, '=', then the value)"
    if name is None:
        return "no variable name before '='"
    prefix = f"{name.strip(chr(39))}: "
    quote = rest[:1]
    if quote in _CLOSED:
        closed = _CLOSED[quote].match(rest)
        if closed is None:
            return f"{prefix}the value's opening {quote} is never closed"
        end = line + rest[: closed.end()].count("\n")
        if end != line:
            return (
                f"{prefix}the value's opening {quote} is closed only on line {end}, before more text: "
                "is a closing quote missing?"
            )
        return f"{prefix}text after the value's closing {quote}; quote the whole value"
    return f"{prefix}cannot be parsed as NAME=value"


def layer_environment(
    base: Mapping[str, str], env_files: Sequence[Mapping[str, str]], read_secret: Callable[[str], str]
) -> Environment:
    """Layer `env_files` (later ones win) over `base` and resolve secret `*_FILE` variables.

    `read_secret(path)` returns a secret file's text or raises (see `resolve_secret_files`); such
    problems are returned. The masker hides every secret `find_secrets` finds in the result, the
    files' contents and the URL passwords of every variable included.
    """
    values = dict(base)
    for variables in env_files:
        values.update(variables)
    resolved = resolve_secret_files(values, read_secret)
    values.update(resolved.values)
    secrets = find_secrets(values, resolved.sources)
    return Environment(
        values=values,
        mask=Masker(secret.value for secret in secrets),
        problems=tuple(resolved.errors),
        warnings=(*resolved.warnings, *short_secret_warnings(secrets)),
        unread=frozenset(resolved.unread),
    )
