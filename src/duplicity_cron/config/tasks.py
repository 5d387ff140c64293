"""Parsing and validation of the `TASK_<id>_<KEY>` variables into `Task` values, key by key from the
table in `task_keys`, then the rules that join keys (CRONTAB or PERIODICITY, a restore task has no
schedule, a task needs a step).

Pure: every problem is appended to a list that the caller reports all at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

from ..databases import engine_for
from ..databases.checks import checks_problem
from ..model import MAIN_STEPS, STEPS, Task, builtin_steps
from .duplicity_values import same_place
from .encryption import NO_ENCRYPTION, conflicting_options
from .task_keys import (
    DATABASE_OPTION_KEYS,
    ENCRYPTION_KEYS,
    FILE_SUFFIX,
    KEYS,
    KEYS_BY_NAME,
    TARGET_OPTION_KEYS,
    TASK_KEYS,
    TASK_PREFIX,
)
from .task_variables import RESERVED_VARIABLES, file_variable, split_task_variable
from .verify_sql import dumped_databases

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# The id names folders (`<work>/<id>/`, `<state>/runs/<id>/`): far below a file name's 255 bytes, and
# short enough for the tables of `list` and `status`.
MAX_TASK_ID = 64
_SCHEDULE_KEYS = ("CRONTAB", "PERIODICITY")


def parse_tasks(env: Mapping[str, str], default_tz: tzinfo, problems: list[str]) -> dict[str, Task]:
    """Every task defined in `env`; problems are appended to `problems`."""
    raw: dict[str, dict[str, tuple[str, str]]] = {}
    files: dict[str, set[str]] = {}  # task id -> the keys given as TASK_<id>_<KEY>_FILE
    misspelled: set[str] = set()  # the ids of tasks with an unknown key
    for name in sorted(env):
        if not name.startswith(TASK_PREFIX) and name.upper().startswith(TASK_PREFIX):
            # Keys are matched in any case, the prefix is not: `task_db_load` must not vanish in silence.
            problems.append(f"{name}: a task variable starts with {TASK_PREFIX} in capitals")
        if not name.startswith(TASK_PREFIX) or name in RESERVED_VARIABLES:
            continue
        if (from_file := file_variable(name)) is not None:
            files.setdefault(from_file[0], set()).add(from_file[1])
            continue
        split = split_task_variable(name)
        if split is None:
            problems.append(_unknown_key_problem(name))
            misspelled.update(_possible_ids(name))
            continue
        task_id, key = split
        if not _TASK_ID.fullmatch(task_id):
            problems.append(
                f"{name}: task id {task_id!r} may only contain letters, digits, '_', '.' and '-', "
                "and must start with a letter or digit"
            )
            continue
        if len(task_id) > MAX_TASK_ID:
            problems.append(f"{name}: task id is {len(task_id)} characters long; at most {MAX_TASK_ID}")
            continue
        entries = raw.setdefault(task_id, {})
        if key in entries:
            problems.append(f"{name}: {entries[key][0]} already sets {key} for task {task_id!r}")
            continue
        entries[key] = (name, env[name])

    for task_id, keys in files.items():
        for key in keys & set(raw.get(task_id, {})):
            # The value was read from the file (or the variable is set too, and start-up warns that
            # the file is ignored): name the variable the user wrote.
            name, value = raw[task_id][key]
            raw[task_id][key] = (name + FILE_SUFFIX, value)
    tasks: dict[str, Task] = {}
    for task_id, entries in raw.items():
        parser = _TaskParser(task_id, entries, problems, files.get(task_id, set()))
        task = parser.parse(default_tz, joined=task_id not in misspelled)
        if task is not None:
            tasks[task_id] = task
    _check_targets(tasks, problems)
    return tasks


def _check_targets(tasks: Mapping[str, Task], problems: list[str]) -> None:
    """Two built-in backups into one target would mix their chains: duplicity's own check of that
    (hostname and folder) is off for them, see `targets.duplicity`."""
    backing_up: dict[str, str] = {}
    for task_id in sorted(tasks):
        task = tasks[task_id]
        if task.target is None or "load" not in builtin_steps(task):
            continue
        place = same_place(task.target)
        if place in backing_up:
            problems.append(
                f"TASK_{task_id}_TARGET: task {backing_up[place]!r} already backs up into this target; "
                "two backups in one target mix their chains, give each task a folder of its own"
            )
        else:
            backing_up[place] = task_id


def _possible_ids(name: str) -> tuple[str, ...]:
    """The ids an unknown key's variable may belong to: keys are one or two words long."""
    parts = name[len(TASK_PREFIX) :].split("_")
    return tuple("_".join(parts[:-count]) for count in (1, 2) if len(parts) > count)


def _unknown_key_problem(name: str) -> str:
    rest = name[len(TASK_PREFIX) :]
    if "_" not in rest:
        return f"{name}: expected TASK_<id>_<KEY> with KEY one of {', '.join(KEYS)}"
    candidates = []
    parts = rest.split("_")
    for count in (1, 2):  # keys are one or two words long
        if len(parts) > count:
            candidates.append("_".join(parts[-count:]))
    hint = ""
    for candidate in candidates:
        close = difflib.get_close_matches(candidate.upper(), KEYS, n=1, cutoff=0.7)
        if close:
            hint = f" (did you mean {close[0]}?)"
            break
    return f"{name}: unknown key {candidates[0]!r}{hint}; known keys: {', '.join(KEYS)}"


class _TaskParser:
    """The variables of one task, checked one key at a time."""

    def __init__(
        self, task_id: str, entries: dict[str, tuple[str, str]], problems: list[str], files: set[str]
    ) -> None:
        self.task_id = task_id
        self.entries = entries
        self.problems = problems
        self.files = files  # keys given as files: a file that cannot be read is reported already

    def setting(self, key: str) -> tuple[str, str] | None:
        """The (variable, value) of a setting; an empty value is a problem, not a silent default."""
        if key not in self.entries:
            return None
        variable, value = self.entries[key]
        if not value.strip():
            self.problems.append(f"{variable}: is empty; give it a value or unset it")
            return None
        return variable, value

    def parsed(self, key: str, timezone: tzinfo) -> Any:
        """The key's parser applied to its value; a ValueError becomes a problem naming the variable."""
        entry = self.setting(key)
        parse = KEYS_BY_NAME[key].parse
        if entry is None or parse is None:
            return None
        try:
            return parse(entry[1], timezone)
        except ValueError as exc:
            self.problems.append(f"{entry[0]}: {exc}")
            return None

    def parse(self, default_tz: tzinfo, joined: bool = True) -> Task | None:
        """The task, or None after its problems. `joined` False (the task has an unknown key): its values
        are checked, but not the rules that join keys, nor is it returned for the checks that follow,
        since the misspelled key may be the one they miss (`TARGT`: "SOURCE needs TARGET" would follow)."""
        before = len(self.problems)
        timezone = self.parsed("TZ", default_tz) or default_tz
        skip: set[str] = set()
        if all(key in self.entries for key in _SCHEDULE_KEYS):
            self.problems.append(
                f"{self.entries['CRONTAB'][0]}: task {self.task_id!r} sets both CRONTAB and PERIODICITY; "
                "keep one"
            )
            skip.update(_SCHEDULE_KEYS)
        fields: dict[str, Any] = {}
        for key in TASK_KEYS:
            if key.field is None or key.name in skip or key.name not in self.entries:
                continue
            value = self.parsed(key.name, timezone)
            if value is not None:
                fields[key.field] = value
        # An empty step is an error like an empty setting: `TASK_db_EXTRACT=${UNSET}` must not back up
        # an empty folder in silence.
        steps = {step: entry[1] for step in STEPS if (entry := self.setting(step.upper())) is not None}
        task = Task(id=self.task_id, steps=steps, **fields)
        if not joined:
            return None
        self._check_rules(task)
        return None if len(self.problems) > before else task

    def _check_rules(self, task: Task) -> None:
        """The rules that join keys."""
        if task.restore is not None and any(key in self.entries for key in _SCHEDULE_KEYS):
            self.problems.append(
                f"{self.entries['RESTORE'][0]}: task {self.task_id!r} is a restore task "
                "and cannot also have a schedule"
            )
        self._check_target_keys(task)
        self._check_database_keys(task)
        # an empty step is reported already; a task with TARGET or DATABASE_URL has its built-in steps
        builtin = ("TARGET", "DATABASE_URL")
        if not any(key in self.entries for key in (*(step.upper() for step in STEPS), *builtin)):
            examples = ", ".join(f"TASK_{self.task_id}_{step.upper()}" for step in MAIN_STEPS)
            self.problems.append(
                f"TASK_{self.task_id}_*: task {self.task_id!r} defines no step; set one of {examples}"
            )
        if task.max_age is not None and task.schedule is None:
            self.problems.append(
                f"{self.entries['MAX_AGE'][0]}: task {self.task_id!r} has no schedule to age"
            )

    def _check_database_keys(self, task: Task) -> None:
        """The keys of the built-in dump need DATABASE_URL; a restore task does not dump."""
        if "DATABASE_URL" not in self.entries:
            self._report_keys_without("DATABASE_URL", DATABASE_OPTION_KEYS)
        elif task.restore is not None:
            self.problems.append(
                f"{self.entries['DATABASE_URL'][0]}: task {self.task_id!r} is a restore task (RESTORE); "
                "the task that dumps the databases is the one to give DATABASE_URL"
            )
        elif task.database_url is not None and engine_for(task.database_url).local_files:
            for key in ("VERIFY_URL", "DATABASE_PASSWORD"):
                if key in self.entries:
                    self.problems.append(
                        f"{self.entries[key][0]}: DATABASE_URL names {task.database_url.engine} files, "
                        "which a drill checks in its own folder and no password opens; unset it"
                    )
        elif (
            task.verify_sql
            and task.database_url is not None
            and (
                problem := checks_problem(
                    task.verify_sql, dumped_databases(task.database_url, task.databases)
                )
            )
        ):
            self.problems.append(f"{self._name('VERIFY_SQL')}: {problem}")
        elif (
            task.verify_url is not None
            and task.database_url is not None
            and task.verify_url.engine != task.database_url.engine
        ):
            self.problems.append(
                f"{self.entries['VERIFY_URL'][0]}: a drill loads the dump of DATABASE_URL's engine; "
                "VERIFY_URL names a server of another engine"
            )

    def _name(self, key: str) -> str:
        """The variable that set `key`: TASK_<id>_<KEY>, or its `_FILE` form."""
        if key in self.entries:
            return self.entries[key][0]
        return f"TASK_{self.task_id}_{key}{FILE_SUFFIX}"

    def _check_target_keys(self, task: Task) -> None:
        """The keys of the built-in backup need TARGET; a restore task restores through its steps."""
        if "TARGET" not in self.entries:
            self._report_keys_without("TARGET", TARGET_OPTION_KEYS)
        elif task.restore is not None:
            self.problems.append(
                f"{self.entries['TARGET'][0]}: task {self.task_id!r} is a restore task (RESTORE); a task "
                "with TARGET is a backup, restored with `duplicity-cron restore TASK`"
            )
        else:
            self._check_encryption_keys(task)

    def _report_keys_without(self, needed: str, keys: Iterable[str]) -> None:
        """Each of `keys` that is set: a problem, it only means something with `needed`, which is not set."""
        for key in keys:
            if key in self.entries:
                self.problems.append(
                    f"{self.entries[key][0]}: only means something with TASK_{self.task_id}_{needed}, "
                    "which is not set"
                )

    def _check_encryption_keys(self, task: Task) -> None:
        """ENCRYPT_KEY needs its public key, the keys need ENCRYPT_KEY, and OPTIONS leave the
        encryption to it."""
        prefix = f"TASK_{self.task_id}_"
        if "ENCRYPT_KEY" not in self.entries:
            for key in ENCRYPTION_KEYS:
                if key in self.entries or key in self.files:
                    name = self.entries[key][0] if key in self.entries else prefix + key + FILE_SUFFIX
                    self.problems.append(
                        f"{name}: only means something with {prefix}ENCRYPT_KEY, which is not set"
                    )
            chosen = sorted(
                {word.split("=", 1)[0] for word in conflicting_options(task.options)} - {NO_ENCRYPTION}
            )
            if chosen:  # gpg would look for that key in the run's private keyring, which holds none
                self.problems.append(
                    f"{self.entries['OPTIONS'][0]}: {', '.join(chosen)} needs a key that the built-in "
                    f"commands' private, empty keyring does not hold; set {prefix}ENCRYPT_KEY (the "
                    f"fingerprint) and {prefix}PUBLIC_KEY_FILE instead"
                )
            return
        variable = self.entries["ENCRYPT_KEY"][0]
        if "PUBLIC_KEY" not in self.entries and "PUBLIC_KEY" not in self.files:
            self.problems.append(
                f"{variable}: needs the public key of that fingerprint: set {prefix}PUBLIC_KEY_FILE to "
                "a file of `gpg --export --armor FINGERPRINT`"
            )
        conflicts = sorted({word.split("=", 1)[0] for word in conflicting_options(task.options)})
        if conflicts:
            self.problems.append(
                f"{self.entries['OPTIONS'][0]}: {', '.join(conflicts)} cannot go with {prefix}ENCRYPT_KEY, "
                "which chooses the encryption (the run's keyring holds its public key alone)"
            )
