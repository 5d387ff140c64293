"""Whether every step can start at all: Linux refuses to execute a program (E2BIG) when one `NAME=value`
string of its environment, or one of its arguments, is longer than MAX_ARG_STRLEN, or when all of them
together are over the argument space (a quarter of the stack limit: 2 MiB with the usual 8 MiB). A step
is `bash -c COMMAND` with the runner's environment, so a value that is too large would fail every run
of every task without a single line of output; it is a configuration error instead.

Pure: sizes are counted from the environment mapping as the kernel counts them (UTF-8 bytes, the
terminating NUL, one pointer per string).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from ..model import STEPS, Task
from .task_keys import TASK_PREFIX
from .task_variables import split_task_variable

MAX_ARG_STRLEN = 131072  # bytes of one string, its NUL included (Linux: 32 pages of 4 KiB)
# Environment and arguments of a step together: half of what Linux allows with an 8 MiB stack limit,
# leaving room for what bash adds (PWD, SHLVL, `_`) and for a smaller stack limit.
STEP_BUDGET = 1024 * 1024
_POINTER = 8
# The longest values the runner adds to a step's environment, besides SRC, DST and TASK_ID.
_RUN_VARIABLES = ("RUN_STATUS=interrupted", "RUN_FAILED_STEP=transform", "RUN_EXIT_CODE=-2147483648")
_SHOWN = 3  # the largest variables named when the whole is over the budget


def exec_size(text: str) -> int:
    """Bytes of one string of a new program's arguments or environment: UTF-8 (the bytes of a
    non-UTF-8 original, which Python keeps as surrogates) and the terminating NUL."""
    return len(text.encode("utf-8", "surrogateescape")) + 1


def size_problems(env: Mapping[str, str], tasks: Mapping[str, Task], work_dir: PurePosixPath) -> list[str]:
    """A problem for each variable too large to start a step with, and one when the whole environment
    and arguments of some step are over STEP_BUDGET. A step's command is the value of its variable
    (TASK_<id>_LOAD), which is in the environment too: when the variable fits, the argument fits."""
    problems = []
    sizes = {name: exec_size(f"{name}={value}") for name, value in env.items()}
    for name, size in sizes.items():
        if size > MAX_ARG_STRLEN:
            problems.append(
                f"{name}: NAME=value is {size:,} bytes with its NUL; Linux starts no program with a "
                f"variable over {MAX_ARG_STRLEN:,} bytes (MAX_ARG_STRLEN)"
            )
    total = largest_step_size(env, tasks, work_dir)
    if total > STEP_BUDGET:
        largest = sorted(sizes, key=lambda name: sizes[name], reverse=True)[:_SHOWN]
        shown = ", ".join(f"{name} ({sizes[name]:,})" for name in largest)
        problems.append(
            f"{largest[0]}: with it, a step would start with {total:,} bytes of environment and "
            f"arguments, over the budget of {STEP_BUDGET:,} (1 MiB); the largest variables: {shown}"
        )
    return problems


def _step_commands(env: Mapping[str, str]) -> Iterable[str]:
    """The command of every step variable (TASK_<id>_LOAD...), whatever else is wrong."""
    for name, value in env.items():
        split = split_task_variable(name) if name.startswith(TASK_PREFIX) else None
        if split is not None and split[1].lower() in STEPS:
            yield value


def largest_step_size(env: Mapping[str, str], tasks: Mapping[str, Task], work_dir: PurePosixPath) -> int:
    """At most the bytes any step starts with: the environment, what the runner adds to it (SRC, DST,
    TASK_ID, RUN_*: the longest of any task), `bash -c` and the longest command, a pointer per string."""
    variables = sum(exec_size(f"{name}={value}") for name, value in env.items())
    shared = variables + sum(map(exec_size, _RUN_VARIABLES)) + exec_size("bash") + exec_size("-c")
    strings = len(env) + len(_RUN_VARIABLES) + 3 + 3 + 2  # + SRC, DST, TASK_ID, bash -c CMD, NULLs
    commands = [*_step_commands(env)] or [""]
    own = max(
        (
            exec_size(f"SRC={work_dir / task.id / 'src'}")
            + exec_size(f"DST={work_dir / task.id / 'dst'}")
            + exec_size(f"TASK_ID={task.id}")
            for task in tasks.values()
        ),
        default=0,
    )
    return shared + own + max(map(exec_size, commands)) + strings * _POINTER
