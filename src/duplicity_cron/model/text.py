"""Text as it may reach a terminal (every layer prints what users typed or files held), and the parts of
a URL's authority (the duplicity URLs, the database URLs and the masking of secrets read them alike)."""

from __future__ import annotations

import re

# Control characters (C0 but tab, DEL, C1), line and paragraph separators and bidirectional overrides:
# printed raw, a line could move the cursor, clear the screen, rewrite itself or pose as another line.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with those characters shown as escapes (`\\x1b`, `\\u202e`), for a terminal; tab is kept."""
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def split_authority(authority: str) -> tuple[str, str | None, str]:
    """(user, password or None, host) of a URL's authority, read as urllib.parse (and so duplicity) reads
    it: the userinfo ends at the last `@` and the password starts at its first `:`, so an unencoded `@` or
    `:` belongs to the password. No `@`, no `:` in the userinfo, or an empty password: None."""
    userinfo, at, host = authority.rpartition("@")
    if not at:
        return "", None, authority
    user, colon, password = userinfo.partition(":")
    return user, (password if colon and password else None), host
