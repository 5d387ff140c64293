"""The `TASK_<id>_<KEY>` keys: one row per key with its parser, whether its value is secret, and its doc.

Adding a key is a row here and a field of `model.Task` (a test checks that they agree); the parser in
`config.tasks` and the README's table (`views.reference`) are derived from the rows. Over 300 lines
for that reason: one row per key, each with its documentation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from ..databases import parse_database_url
from ..model import STEPS
from .duplicity_values import (
    DEFAULT_FULL_EVERY,
    parse_interval,
    parse_keep_full,
    parse_options,
    parse_source,
    parse_target_url,
)
from .durations import DAY, MAX_DURATION, MAX_WAIT, parse_duration, parse_wait
from .encryption import parse_fingerprint, parse_private_key, parse_public_key
from .schedules import CronSchedule, parse_timezone
from .values import (
    DEFAULT_SHRINK_LIMIT,
    ON_SHRINK_VALUES,
    parse_notify_on,
    parse_on_shrink,
    parse_ping_url,
    parse_share,
    split_urls,
)
from .verify_sql import parse_verify_sql

TASK_PREFIX = "TASK_"

# The keys that only mean something with a TARGET.
TARGET_OPTION_KEYS = (
    "SOURCE", "FULL_EVERY", "OPTIONS", "KEEP_FULL", "KEEP", "ENCRYPT_KEY", "PUBLIC_KEY", "PRIVATE_KEY",
    "VERIFY", "SHRINK_LIMIT", "ON_SHRINK", "VERIFY_MAX_TIME",
)  # fmt: skip
# The keys that only mean something with ENCRYPT_KEY.
ENCRYPTION_KEYS = ("PUBLIC_KEY", "PRIVATE_KEY")
# `TASK_<id>_<KEY>_FILE` names a file that holds the key's value (read like any secret `*_FILE`).
FILE_SUFFIX = "_FILE"
# The keys that only mean something with a DATABASE_URL.
DATABASE_OPTION_KEYS = ("DATABASES", "DATABASE_PASSWORD", "VERIFY_URL", "VERIFY_SQL")

# (value, the task's time zone) -> parsed value; ValueError names what is wrong with the value.
KeyParser = Callable[[str, tzinfo], Any]


def _plain(parse: Callable[[str], Any]) -> KeyParser:
    return lambda value, _timezone: parse(value)


def _database_names(value: str) -> tuple[str, ...]:
    """Names separated by spaces or commas; `!name` excludes one. Separators alone name nothing: an
    error, not "every database" (the default that an unset key means)."""
    names = tuple(split_urls(value))
    if not names:
        raise ValueError("names no database, only separators; give names or unset it to dump them all")
    for name in names:
        if name in ("!", ""):
            raise ValueError("a lone '!' names no database; write !name")
    return names


def _password(value: str) -> str:
    if "\n" in value or "\0" in value:
        raise ValueError("holds a line break or a NUL character, which no client's password can")
    return value


@dataclass(frozen=True)
class TaskKey:
    name: str
    doc: str
    example: str
    field: str | None = None  # the `Task` field it sets; None for steps (`Task.steps`) and TZ
    parse: KeyParser | None = None
    secret: bool = False  # its value is masked in every output, like a password
    urls: bool = False  # a list of URLs: each one is masked on its own too
    from_file: bool = False  # may be given as `TASK_<id>_<KEY>_FILE`, the path of a file holding it

    @property
    def is_step(self) -> bool:
        return self.name.lower() in STEPS


def _step(name: str, doc: str, example: str) -> TaskKey:
    return TaskKey(name, doc, example)


TASK_KEYS: tuple[TaskKey, ...] = (
    _step("PREPARE", "step: install things, create folders", '`mkdir -p -m 700 "$GNUPGHOME"`'),
    _step("EXTRACT", "step: get the data to back up (a dump into `$SRC`)", '`pg_dumpall > "$SRC/all.sql"`'),
    _step("TRANSFORM", "step: transform the extracted data", '`gzip "$SRC/all.sql"`'),
    _step("LOAD", "step: call duplicity", '`duplicity backup "$SRC" s3:///bucket/db`'),
    _step(
        "SUCCEED",
        "step, after all the previous ones succeeded",
        "`duplicity remove-all-but-n-full 3 --force s3:///bucket/db`",
    ),
    _step(
        "FAILED",
        "hook, when a step failed or timed out or the run was interrupted",
        '`echo "backup failed at $RUN_FAILED_STEP"`',
    ),
    _step("FINALLY", "hook, always, last", "`gpgconf --kill gpg-agent`"),
    TaskKey(
        "CRONTAB",
        "cron schedule: 5 fields, 6 with a leading seconds field, or a macro "
        "`@hourly @daily @midnight @weekly @monthly @yearly @annually`",
        "`30 2 * * *`, `*/10 * * * * *`, `@daily`",
        field="schedule",
        parse=CronSchedule.from_crontab,
    ),
    TaskKey(
        "PERIODICITY",
        "`hourly` (`0 * * * *`), `daily` (`10 1 * * *`), `weekly` (`20 2 * * 0`), `monthly` "
        "(`30 3 1 * *`): the original image's times",
        "`daily`",
        field="schedule",
        parse=CronSchedule.from_periodicity,
    ),
    TaskKey(
        "RESTORE",
        "marks a restore task; the value orders the restore tasks (`<value>_<id>`, string order)",
        "`10`",
        field="restore",
        parse=_plain(str.strip),
    ),
    TaskKey(
        "TIMEOUT",
        f"limit for the run: a number of seconds or `s`/`m`/`h`/`d` units, at most `{MAX_WAIT // DAY}d`",
        "`45`, `90s`, `30m`, `2h`, `1h30m`",
        field="timeout",
        parse=_plain(parse_wait),
    ),
    TaskKey(
        "TZ",
        "time zone of this task's schedule (default: `TZ`, else UTC)",
        "`Europe/Paris`",
        parse=_plain(parse_timezone),
    ),
    TaskKey(
        "MAX_AGE",
        "the oldest its last success may be before `healthcheck` says unhealthy "
        f"(default: twice the longest gap between due times); at most `{MAX_DURATION // DAY}d`",
        "`26h`, `8d`",
        field="max_age",
        parse=_plain(parse_duration),
    ),
    TaskKey(
        "NOTIFY_URLS",
        "Apprise URLs for this task, added to `CONF_NOTIFY_URLS` (masked: they carry tokens)",
        "`ntfy://backups`",
        field="notify_urls",
        parse=_plain(split_urls),
        secret=True,
        urls=True,
    ),
    TaskKey(
        "NOTIFY_ON",
        "`failure`, `always` or `never`; governs all of this task's notifications (runs, drills, restores)",
        "`always`",
        field="notify_on",
        parse=_plain(parse_notify_on),
    ),
    TaskKey(
        "PING_URL",
        "a healthchecks.io-style monitor URL (masked): http(s), a host and maybe a port, a path; no "
        "query, fragment, user part, space or non-ASCII path (`/start` and `/fail` are appended)",
        "`https://hc-ping.com/<uuid>`",
        field="ping_url",
        parse=_plain(parse_ping_url),
        secret=True,
        urls=True,
    ),
    TaskKey(
        "TARGET",
        "a duplicity URL: the runner backs up SOURCE into it (its LOAD, unless the task has its own) and "
        "`restore TASK` restores from it; a password in it goes to duplicity as `BACKEND_PASSWORD`, out "
        "of the command line",
        "`file:///backups/home`, `sftp://user:pw@host//srv/backups/home`, `s3:///bucket/home`",
        field="target",
        parse=_plain(parse_target_url),
    ),
    TaskKey(
        "SOURCE",
        "the folder the built-in backup backs up (absolute; a link to a folder is followed, anything "
        "else but a folder fails the run; default `$SRC`, so what EXTRACT writes there is backed up)",
        "`/data`",
        field="source",
        parse=_plain(parse_source),
    ),
    TaskKey(
        "SHRINK_LIMIT",
        "before the built-in backup, SOURCE is counted: fewer entries or bytes than the last backup's by "
        f"more than this share, or none at all, is a warning (see ON_SHRINK); 1% to 100% (default "
        f"`{DEFAULT_SHRINK_LIMIT}%`; `100%`: only an empty SOURCE)",
        "`50%`, `90%`",
        field="shrink_limit",
        parse=_plain(parse_share),
    ),
    TaskKey(
        "ON_SHRINK",
        f"`{'` or `'.join(ON_SHRINK_VALUES)}`: what a SOURCE that shrank past SHRINK_LIMIT, or is empty, "
        "does: a warning in the log and the output tail (default), or the run fails before the backup, "
        "nothing written",
        "`fail`",
        field="on_shrink",
        parse=_plain(parse_on_shrink),
    ),
    TaskKey(
        "FULL_EVERY",
        f"a new full backup when the last one is older (duplicity's `--full-if-older-than`; default "
        f"`{DEFAULT_FULL_EVERY}`); units s, m (minutes), h, D, W, M (months), Y",
        "`7D`, `2W`, `1M`",
        field="full_every",
        parse=_plain(parse_interval),
    ),
    TaskKey(
        "OPTIONS",
        "extra duplicity options for the built-in commands, split as a shell would and appended (so "
        "they win over the runner's)",
        "`--exclude '**/.cache' --volsize 500`",
        field="options",
        parse=_plain(parse_options),
    ),
    TaskKey(
        "KEEP_FULL",
        "after a successful LOAD, step `retention` keeps the N newest full chains "
        "(`remove-all-but-n-full N --force`, then `cleanup --force`)",
        "`3`",
        field="keep_full",
        parse=_plain(parse_keep_full),
    ),
    TaskKey(
        "KEEP",
        "after a successful LOAD, step `retention` removes the backups older than this duplicity interval "
        "(`remove-older-than T --force`, then `cleanup --force`), never one that a newer backup needs",
        "`6M`, `90D`",
        field="keep",
        parse=_plain(parse_interval),
    ),
    TaskKey(
        "ENCRYPT_KEY",
        "public-key encryption instead of PASSPHRASE: the full fingerprint (40 hex digits, spaces "
        "allowed) of the key the built-in commands encrypt to (`--encrypt-key`); needs PUBLIC_KEY. "
        "Masked, like every `*_KEY`",
        "`251AC574D792116C2CFCC38225F0F14E0950CA11`",
        field="encrypt_key",
        parse=_plain(parse_fingerprint),
        secret=True,
    ),
    TaskKey(
        "PUBLIC_KEY",
        "the ASCII-armored public key of ENCRYPT_KEY (`gpg --export --armor FPR`), usually as "
        "`TASK_<id>_PUBLIC_KEY_FILE`; imported into the run's own keyring at every run",
        "`TASK_home_PUBLIC_KEY_FILE=/run/secrets/backup.pub`",
        field="public_key",
        parse=_plain(parse_public_key),
        secret=True,
        from_file=True,
    ),
    TaskKey(
        "PRIVATE_KEY",
        "the ASCII-armored private key of ENCRYPT_KEY (`gpg --export-secret-keys --armor FPR`), as "
        "`TASK_<id>_PRIVATE_KEY_FILE`; needed only by `restore TASK` (its passphrase, if any: PASSPHRASE)",
        "`TASK_home_PRIVATE_KEY_FILE=/run/secrets/backup.key`",
        field="private_key",
        parse=_plain(parse_private_key),
        secret=True,
        from_file=True,
    ),
    TaskKey(
        "DATABASE_URL",
        "a database server to dump, or SQLite files (an absolute path, or a glob: a relative path is an "
        "error): without an EXTRACT of the task's own, EXTRACT is the built-in dump of its databases into "
        '`$SRC` (see "Backing up databases"); a password in it is masked and passed to the client out of '
        "its command line",
        "`postgresql://postgres@db:5432/`, `mariadb://backup@db:3306/`, "
        "`sqlite:////data/app.db`, `sqlite:////data/*.db`",
        field="database_url",
        parse=_plain(parse_database_url),
    ),
    TaskKey(
        "DATABASES",
        "the databases the built-in dump dumps: names, or `!name` to leave one out (default: the URL's "
        "database, else all but templates and system schemas)",
        "`shop wiki`, `!scratch`",
        field="databases",
        parse=_plain(_database_names),
    ),
    TaskKey(
        "DATABASE_PASSWORD",
        "the database password of the built-in dump (masked; wins over the URL's)",
        "`s3cret`",
        field="database_password",
        parse=_plain(_password),
        secret=True,
        from_file=True,
    ),
    TaskKey(
        "VERIFY",
        "when to run a drill, `verify TASK`: a cron expression (as CRONTAB) or a periodicity word (as "
        "PERIODICITY), in the task's time zone; the latest backup is restored into a scratch folder and "
        "checked, and `healthcheck` is unhealthy when the last drill failed or is older than twice the "
        "longest gap of this schedule",
        "`0 4 * * 0`, `weekly`",
        field="verify",
        parse=CronSchedule.from_crontab_or_periodicity,
    ),
    TaskKey(
        "VERIFY_URL",
        "the server a drill of a task with DATABASE_URL loads the dump into (scratch databases, dropped "
        "after; default: DATABASE_URL's server); the same engine as DATABASE_URL; a password in it is masked",
        "`postgresql://postgres@scratch-db:5432/`",
        field="verify_url",
        parse=_plain(parse_database_url),
    ),
    TaskKey(
        "VERIFY_MAX_TIME",
        "the longest the data of a drill may take to come back (its recovery time: the restore, and the "
        "load of a dump into scratch databases); a drill slower than that fails, and `healthcheck` says so",
        "`15m`, `1h`",
        field="verify_max_time",
        parse=_plain(parse_wait),
    ),
    TaskKey(
        "VERIFY_SQL",
        "statements a drill runs on its scratch copy of the dump (never on DATABASE_URL's databases), one "
        "a line as `database: statement` (the database left out when the dump holds one; lines "
        "starting `#` or `--` are comments); each must return a true value (non-zero, `t`, `true`), "
        "else the drill fails naming it; also as `TASK_<id>_VERIFY_SQL_FILE`",
        "`shop: SELECT max(created_at) > now() - interval '1 day' FROM orders`",
        field="verify_sql",
        parse=_plain(parse_verify_sql),
        from_file=True,
    ),
)

KEYS_BY_NAME = {key.name: key for key in TASK_KEYS}
KEYS = tuple(KEYS_BY_NAME)
# Longest first, so that a key that ends with another key wins (NOTIFY_ON before ON).
KEYS_BY_LENGTH = sorted(KEYS, key=len, reverse=True)
SECRET_KEYS = tuple(key.name for key in TASK_KEYS if key.secret)
SECRET_URL_KEYS = tuple(key.name for key in TASK_KEYS if key.secret and key.urls)
FILE_KEYS = tuple(key.name for key in TASK_KEYS if key.from_file)
