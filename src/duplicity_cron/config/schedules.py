"""When tasks are due: cron expressions, macros and periodicities, evaluated in a time zone (pure).

`CronSchedule` is what `model.Schedule` describes; the daemon sees only that interface.

The cron arithmetic is cronsim's, which follows Debian cron around DST changes for 5-field expressions:
a time in a skipped hour fires once right after the jump, a time in a repeated hour fires once, and
expressions with a wildcard minute or hour run by real elapsed time. cronsim leaves 6-field expressions
on real time; we give those with a fixed minute and hour the same wall-clock rule as 5-field ones.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

# The original image's fixed times for TASK_<id>_PERIODICITY.
PERIODICITIES = {
    "hourly": "0 * * * *",
    "daily": "10 1 * * *",
    "weekly": "20 2 * * 0",
    "monthly": "30 3 1 * *",
}

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class ScheduleError(ValueError):
    """A cron expression, periodicity or time zone that cannot be used."""


def parse_timezone(name: str) -> tzinfo:
    """Time zone from an IANA name such as `Europe/Paris`; `UTC` and empty give UTC."""
    key = name.strip().removeprefix(":")
    if key in ("", "UTC", "Etc/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"{name!r} is not a known time zone (expected a name such as Europe/Paris)"
        ) from exc


@dataclass(frozen=True)
class CronSchedule:
    """A validated cron expression (5 fields, or 6 with leading seconds) in a time zone."""

    expression: str
    timezone: tzinfo
    source: str  # what the user wrote: the expression, the macro or the periodicity name

    @classmethod
    def from_crontab(cls, text: str, timezone: tzinfo = UTC) -> CronSchedule:
        source = " ".join(text.split())
        expression = MACROS.get(source.lower(), source)
        if expression.startswith("@"):
            raise ScheduleError(f"unknown macro {source!r}; expected one of {', '.join(sorted(MACROS))}")
        fields = expression.split()
        if len(fields) not in (5, 6):
            raise ScheduleError(
                f"{source!r} has {len(fields)} fields; expected 5 (minute hour day month weekday), "
                "6 with a leading seconds field, or a macro such as @daily"
            )
        try:
            CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
        except CronSimError as exc:
            why = field_problem(fields, str(exc)) or str(exc)
            raise ScheduleError(f"{source!r} is not a valid cron expression: {why}") from exc
        schedule = cls(expression, timezone, source)
        try:
            schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC))
        except StopIteration:
            raise ScheduleError(f"{source!r} never matches any date") from None
        return schedule

    @classmethod
    def from_periodicity(cls, name: str, timezone: tzinfo = UTC) -> CronSchedule:
        key = name.strip().lower()
        if key not in PERIODICITIES:
            raise ScheduleError(f"{name!r} is not a periodicity; expected one of {', '.join(PERIODICITIES)}")
        return cls(PERIODICITIES[key], timezone, key)

    @classmethod
    def from_crontab_or_periodicity(cls, text: str, timezone: tzinfo = UTC) -> CronSchedule:
        """A periodicity word (`daily`) when it is one, else a cron expression or macro."""
        if text.strip().lower() in PERIODICITIES:
            return cls.from_periodicity(text, timezone)
        return cls.from_crontab(text, timezone)

    @property
    def has_seconds(self) -> bool:
        return len(self.expression.split()) == 6

    def next_after(self, moment: datetime) -> datetime:
        """The first due time strictly after `moment` (an aware datetime), in this schedule's zone."""
        return next(self.iter_after(moment))

    def iter_after(self, moment: datetime) -> Iterator[datetime]:
        """Due times strictly after `moment`, in order."""
        if self._seconds_on_wall_clock():
            yield from self._iter_wall_clock(moment)
            return
        after = moment.timestamp()
        for due in CronSim(self.expression, moment.astimezone(self.timezone)):
            # Starting inside a repeated DST hour, cronsim may name the first pass of a wall time
            # that is already behind us; skip anything not strictly after the start. Compare
            # instants: Python compares datetimes of one zone by wall time, ignoring DST's fold.
            if due.timestamp() > after:
                yield due

    def _seconds_on_wall_clock(self) -> bool:
        fields = self.expression.split()
        return (
            len(fields) == 6
            and self.timezone is not UTC
            and not fields[1].startswith("*")
            and not fields[2].startswith("*")
        )

    def _iter_wall_clock(self, moment: datetime) -> Iterator[datetime]:
        """Debian cron's DST rule for a 6-field expression at fixed times, as cronsim does for 5 fields.

        Iterate local wall-clock times; one in a repeated hour means its first pass; one in a skipped
        hour fires at the jump (all such times of one night fire once, together).
        """
        after = last = moment.timestamp()
        local = moment.astimezone(self.timezone).replace(tzinfo=None)
        for wall in CronSim(self.expression, local):
            due = wall.replace(tzinfo=self.timezone, fold=0)
            if _is_imaginary(due):
                while _is_imaginary(due):
                    due += timedelta(minutes=1)  # wall-clock arithmetic: walks out of the gap
                due = due.replace(second=0)
            if due.timestamp() > max(after, last):
                last = due.timestamp()
                yield due

    def longest_gap(self, start: datetime) -> float:
        """The longest time in seconds between two consecutive due times, over a year from `start`.

        Wall-clock arithmetic (a DST hour is ignored): it sizes the default MAX_AGE, not a due time.
        Times of day and matching days are taken apart, so that a per-second schedule costs no more
        than a yearly one.
        """
        fields = self.expression.split()
        if len(fields) == 5:
            fields.insert(0, "0")
        parsed = CronSim(" ".join(fields), datetime(2000, 1, 1))
        times = sorted(
            h * 3600 + m * 60 + s for h in parsed.hours for m in parsed.minutes for s in parsed.seconds
        )
        within_day = max((b - a for a, b in itertools.pairwise(times)), default=0)
        day_gaps = _matching_day_gaps(" ".join(fields[3:]), start.date())
        across_days = max(days * 86400 - times[-1] + times[0] for days in day_gaps)
        return float(max(within_day, across_days))

    def describe(self) -> str:
        if self.source != self.expression:
            return f"{self.source} ({self.expression})"
        return self.expression


def seconds_warning(schedule: object) -> str | None:
    """A 6-field expression that fires more than once a minute: most likely 5 fields meant, and a
    seconds field added by mistake (`*/5 * * * * *`). A fixed second (`0 */5 * * * *`) is deliberate."""
    if not isinstance(schedule, CronSchedule) or not schedule.has_seconds:
        return None
    fields = schedule.expression.split()
    seconds = sorted(CronSim(schedule.expression, datetime(2000, 1, 1)).seconds)
    if len(seconds) < 2:
        return None
    steps = {b - a for a, b in itertools.pairwise([*seconds, seconds[0] + 60])}
    meant = " ".join(fields[:5])
    step = steps.pop() if len(steps) == 1 else None
    if step is None:
        how_often, minutes = f"fires {len(seconds)} times a minute", "minutes"
    elif step == 1:
        how_often, minutes = "fires every second", "every minute"
    else:
        how_often, minutes = f"fires every {step} seconds", f"every {step} minutes"
    if fields[1] != "*":
        how_often += " of the minutes it matches"
    if fields[1:5] != ["*"] * 4:
        minutes = "minutes"
    return f"{how_often}: a 6-field expression starts with seconds; for {minutes} write {meant}"


# The fields of a 6-field expression, as cronsim names them in its errors ("Bad hour"), with their
# valid ranges and names for a message that says what to write.
_FIELDS = (
    ("second", "second", 0, 59),
    ("minute", "minute", 0, 59),
    ("hour", "hour", 0, 23),
    ("day-of-month", "day of month", 1, 31),
    ("month", "month", 1, 12),
    ("day-of-week", "weekday", 0, 7),
)
_NAMES = {"month": "or JAN-DEC", "weekday": "0 and 7: Sunday; or SUN-SAT"}


def field_problem(fields: list[str], error: str) -> str | None:
    """cronsim's terse `Bad hour` as a line naming the field, what is wrong and its valid range."""
    offset = 6 - len(fields)  # a 5-field expression has no seconds field
    found = [(index, field) for index, field in enumerate(_FIELDS) if error == f"Bad {field[0]}"]
    if not found or found[0][0] < offset:
        return None
    index, (_, name, low, high) = found[0]
    text = fields[index - offset]
    valid = f"{low}-{high}" + (f" ({_NAMES[name]})" if name in _NAMES else "")
    for number in (int(word) for word in re.split(r"[^0-9]+", text.split("/")[0]) if word):
        if not low <= number <= high:
            return f"{name} {number} is out of range {valid}"
    if backwards := re.search(r"(?<![0-9])([0-9]+)-([0-9]+)", text):
        start, end = backwards.groups()
        if int(start) > int(end):
            return f"{name} range {start}-{end} runs backwards; write {end}-{start}"
    if re.search(r"/0*(,|$)", text):
        return f"{name} field {text!r}: a step (/N) must be 1 or more"
    if index == 3 and text.isdigit():
        return f"{name} {text} never occurs in the month(s) of the month field"
    return (
        f"{name} field {text!r} is not valid: expected * or numbers in {valid}, as one (5), a range (1-5), "
        "a list (1,3) or a step (*/15)"
    )


@functools.lru_cache(maxsize=64)
def _matching_day_gaps(day_fields: str, start: date) -> frozenset[int]:
    """The distinct numbers of days between consecutive days that match `day_fields` (day month weekday).

    Covers at least 400 days and two matching days (a yearly or leap-day schedule looks further).
    Cached: most schedules share the day fields `* * *`.
    """
    if day_fields == "* * *":
        return frozenset({1})
    days = CronSim(f"0 0 0 {day_fields}", datetime.combine(start, datetime.min.time()))
    first = previous = next(days).date()
    gaps: set[int] = set()
    for _ in range(2000):
        current = next(days).date()
        gaps.add((current - previous).days)
        previous = current
        if (current - first).days >= 400:
            break
    return frozenset(gaps)


def _is_imaginary(moment: datetime) -> bool:
    """True for a wall-clock time that a DST jump skips."""
    return moment != moment.astimezone(UTC).astimezone(moment.tzinfo)
