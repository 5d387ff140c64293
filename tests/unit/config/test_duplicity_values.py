"""The values handed to duplicity: target URLs of schemes 3.2.1 knows, its intervals and time strings,
OPTIONS split as a shell would, KEEP_FULL counts, and a URL's password taken out of it."""

from __future__ import annotations

import pytest

from duplicity_cron.config.duplicity_values import (
    parse_interval,
    parse_keep_full,
    parse_options,
    parse_source,
    parse_target_url,
    parse_time,
    same_place,
    split_url_password,
)


@pytest.mark.parametrize(
    "url",
    [
        "file:///backups/home",
        "sftp://user@host//srv/backups",
        "sftp://user:p%40ss@host:2222/relative/path",
        "scp://host/x",
        "pexpect+sftp://u@127.0.0.1:2222//abs",
        "s3:///bucket/prefix",
        "s3://bucket/prefix",
        "boto3+s3://bucket/prefix",
        "b2://keyid:appkey@bucket/dir",
        "webdavs://u@dav.example.com/remote.php/webdav/backups",
        "ftp://u@ftp.example.com/x",
        "rsync://u@host::/module/dir",
        "rclone://remote:path/in/remote",
        "par2+file:///backups/home",
        "par2+sftp://u:pw@host/x",
        "azure://container",
        "swift://container",
    ],
)
def test_target_urls_duplicity_knows(url: str) -> None:
    assert parse_target_url(f"  {url}\n") == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/backups/home", "is not a duplicity URL"),
        ("file://backups/home", "needs an absolute path: file:///"),
        ("gopher://host/x", "unknown scheme 'gopher'"),
        ("par2+gopher://host/x", "unknown scheme 'gopher'"),
        ("sftp:///path/without/host", "needs a host"),
        ("sftp://user@host:22x/path", "port of 'user@host:22x' is not a number"),
        ("file://", "names no place"),
        ("s3://", "names no place"),
        ("file:///my backups", "white space"),
    ],
)
def test_target_urls_it_does_not(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target_url(url)


@pytest.mark.parametrize("value", ["1M", "7D", "2W", "1Y", "36h", "1D12h", "90s", "30m", "0D1h"])
def test_intervals(value: str) -> None:
    assert parse_interval(value) == value


@pytest.mark.parametrize("value", ["1 month", "1d", "M", "1", "D1", "1M ago", "0D", "0s0m", "-1D", "1.5D"])
def test_not_intervals(value: str) -> None:
    with pytest.raises(ValueError, match=r"duplicity interval|interval of zero"):
        parse_interval(value)


@pytest.mark.parametrize(
    "value",
    [
        "now", "3D", "1h30m", "1796124123", "20261201T112233Z", "2026-12-01T11:22:33",
        "2026-12-01T11:22:33Z", "2026-12-01T11:22:33+01:00", "2026-12-01", "2026/12/1", "12/01/2026",
    ],
)  # fmt: skip
def test_duplicity_times(value: str) -> None:
    assert parse_time(value) == value


@pytest.mark.parametrize("value", ["yesterday", "2026-12-01 11:22", "3 days", "", "12:00"])
def test_not_duplicity_times(value: str) -> None:
    with pytest.raises(ValueError, match="is not a duplicity time"):
        parse_time(value)


def test_options_are_split_as_a_shell_would() -> None:
    assert parse_options("--exclude '**/a b' --volsize=500  -v info") == (
        "--exclude", "**/a b", "--volsize=500", "-v", "info",
    )  # fmt: skip
    with pytest.raises(ValueError, match="cannot split it into words"):
        parse_options("--exclude 'unclosed")


@pytest.mark.parametrize(("value", "count"), [("1", 1), (" 3 ", 3), ("12", 12)])
def test_keep_full(value: str, count: int) -> None:
    assert parse_keep_full(value) == count


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_keep_full_needs_one_or_more(value: str) -> None:
    with pytest.raises(ValueError, match="1 or more"):
        parse_keep_full(value)


def test_source_is_absolute() -> None:
    assert parse_source(" /data ") == "/data"
    with pytest.raises(ValueError, match="absolute"):
        parse_source("data")


@pytest.mark.parametrize(
    ("url", "without", "password"),
    [
        ("sftp://user:secret@host/x", "sftp://user@host/x", "secret"),
        ("sftp://user:p%40ss@host:22//abs", "sftp://user@host:22//abs", "p@ss"),
        ("webdav://u:a:b@c@host/p?q=1", "webdav://u@host/p?q=1", "a:b@c"),
        ("ftp://:pw@host/x", "ftp://host/x", "pw"),
        ("par2+sftp://u:pw@host/x", "par2+sftp://u@host/x", "pw"),
        ("sftp://user@host/x", "sftp://user@host/x", None),
        ("https://host/path?q=a:b@c", "https://host/path?q=a:b@c", None),
        ("file:///backups", "file:///backups", None),
        ("not a url", "not a url", None),
    ],
)
def test_split_url_password(url: str, without: str, password: str | None) -> None:
    assert split_url_password(url) == (without, password)


def test_same_place_ignores_the_password_and_trailing_slashes() -> None:
    assert same_place("sftp://u:one@h/x/") == same_place("sftp://u:two@h/x") == "sftp://u@h/x"
    assert same_place("sftp://u@h/x") != same_place("sftp://u@h/y")
