"""The `TASK_<id>_<KEY>` keys: one row per key with its parser, whether its value is secret, and its doc.

Adding a key is a row here and a field of `model.Task` (a test checks that they agree); the parser in
`config.tasks` and the README's table (`views.reference`) are derived from the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from .durations import DAY, MAX_DURATION, MAX_WAIT, parse_duration, parse_wait
from .schedules import CronSchedule, parse_timezone
from .values import parse_notify_on, parse_ping_url, split_urls

TASK_PREFIX = "TASK_"

# Steps in the order a run goes through them; SUCCEED belongs to the main chain, as in the original.
MAIN_STEPS = ("prepare", "extract", "transform", "load", "succeed")
HOOK_STEPS = ("failed", "finally")
STEPS = MAIN_STEPS + HOOK_STEPS

# (value, the task's time zone) -> parsed value; ValueError names what is wrong with the value.
KeyParser = Callable[[str, tzinfo], Any]


def _plain(parse: Callable[[str], Any]) -> KeyParser:
    return lambda value, _timezone: parse(value)


@dataclass(frozen=True)
class TaskKey:
    name: str
    doc: str
    example: str
    field: str | None = None  # the `Task` field it sets; None for steps (`Task.steps`) and TZ
    parse: KeyParser | None = None
    secret: bool = False  # its value is masked in every output, like a password

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
    ),
    TaskKey(
        "NOTIFY_ON",
        "`failure`, `always` or `never`; governs all of this task's notifications",
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
    ),
)

KEYS_BY_NAME = {key.name: key for key in TASK_KEYS}
KEYS = tuple(KEYS_BY_NAME)
# Longest first, so that a key that ends with another key wins (NOTIFY_ON before ON).
KEYS_BY_LENGTH = sorted(KEYS, key=len, reverse=True)
SECRET_KEYS = tuple(key.name for key in TASK_KEYS if key.secret)
