"""The checks of VERIFY_SQL on a drill's scratch databases: which database each runs on, and whether
what a statement returned is true. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import SqlCheck

TRUE_VALUES = ("t", "true", "yes", "on")  # PostgreSQL's booleans print as t/f; MariaDB's are numbers
SHOWN = 40  # characters of a value that is neither true nor false shown in a message


def checks_problem(checks: Sequence[SqlCheck], dumped: Sequence[str] | None) -> str | None:
    """Why `checks` cannot run on a dump of `dumped` (None: not known before the dump is made): a
    database it does not hold, or one left out while it holds several."""
    if dumped is None:
        return None
    for check in checks:
        if check.database and check.database not in dumped:
            return (
                f"line {check.line} names database {check.database!r}, which the dump does not hold; "
                f"it holds {', '.join(dumped)}"
            )
        if not check.database and len(dumped) > 1:
            return (
                f"line {check.line} names no database and the dump holds several ({', '.join(dumped)}); "
                "start it with one of them and a colon, as `shop: SELECT ...`"
            )
    return None


def assign_checks(checks: Sequence[SqlCheck], dumped: Sequence[str]) -> dict[str, list[SqlCheck]]:
    """The checks of each database of a dump that holds `dumped`; ValueError as `checks_problem`."""
    problem = checks_problem(checks, dumped)
    if problem is not None:
        raise ValueError(f"VERIFY_SQL {problem}")
    assigned: dict[str, list[SqlCheck]] = {name: [] for name in dumped}
    for check in checks:
        assigned[check.database or dumped[0]].append(check)
    return assigned


def check_problem(check: SqlCheck, value: str | None) -> str | None:
    """Why `check` failed with `value`, the first column of the first row it returned (None: no row;
    the client prints SQL NULL as "" or "NULL"), or None when the value is true: a non-zero number,
    or t, true, yes, on in any case."""
    if value is None:
        return f"{check.describe()} returned no row; it must return a true value"
    text = value.strip()
    try:
        if float(text) != 0:
            return None
    except ValueError:
        if text.lower() in TRUE_VALUES:
            return None
    shown = text if len(text) <= SHOWN else text[:SHOWN] + "..."
    what = "NULL" if text in ("", "NULL") else repr(shown)
    return f"{check.describe()} returned {what}, not a true value"
