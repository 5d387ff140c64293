"""The URL of a database server, as PostgreSQL and MariaDB name one:
`postgresql://user@host:port/db?option=value`, or `mariadb://` (each engine's `parse_url`).

Pure. The URL's password is kept apart, so that no command line ever holds it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from ..model import DatabaseUrl, split_authority


def parse_server_url(text: str, engine: str) -> DatabaseUrl:
    """A server URL of the shape `scheme://user:password@host:port/database?option=value` (the scheme
    read already: `databases.parse_database_url`), its parts percent-decoded, for `engine`; ValueError
    says what is wrong (never quoting a password)."""
    url = text.strip()
    _scheme, _separator, rest = url.partition("://")
    if any(character.isspace() for character in url):
        raise ValueError("contains white space; percent-encode it (%20)")
    rest, _hash, _fragment = rest.partition("#")
    rest, _question, query = rest.partition("?")
    authority, _slash, path = rest.partition("/")
    user, password, hostport = split_authority(authority)
    host, port = _split_port(hostport)
    database = unquote(path.strip("/")) or None
    if database is not None and "/" in database:
        raise ValueError(f"the path names one database, not {database!r}")
    options = tuple(parse_qsl(query, keep_blank_values=True, strict_parsing=False))
    for name, _value in options:
        if not name or not all(c.isalnum() or c in "_-" for c in name):
            raise ValueError(f"option {name!r} of the query is not a name")
    return DatabaseUrl(
        engine=engine,
        user=unquote(user) or None,
        host=unquote(host) or None,
        port=port,
        database=database,
        options=options,
        password=None if password is None else unquote(password),
    )


def _split_port(hostport: str) -> tuple[str, int | None]:
    """`host:port`, `[::1]:port`, or a host alone."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise ValueError("an IPv6 address opened with '[' is never closed")
        host, rest = hostport[1:end], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected {rest!r} after the IPv6 address")
        port_text = rest[1:]
    else:
        host, _colon, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)
