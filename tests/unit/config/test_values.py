"""Single values: a PING_URL is accepted only when urllib can request it, with `/start` and `/fail`
appended, and a message about it never quotes it (it carries a token)."""

from __future__ import annotations

import pytest

from duplicity_cron.config import ConfigError, parse_config
from duplicity_cron.config.values import MAX_FOLDER_PATH, NAME_MAX, parse_absolute_path, parse_ping_url

TOKEN = "tok3n-0f6c1c2e"


@pytest.mark.parametrize(
    "url",
    [
        f"https://hc-ping.com/{TOKEN}",
        f"http://127.0.0.1:3001/api/push/{TOKEN}",
        f"http://[::1]:8000/{TOKEN}",
        f"http://uptime_kuma:3001/api/push/{TOKEN}",  # a compose service name
        f"http://h:65535/{TOKEN}",
        f"http://h:1/{TOKEN}",
        f"http://bücher.example/{TOKEN}",  # urllib sends an IDN host IDNA-encoded
        f"https://hc-ping.com/%C3%BC/{TOKEN}",
        f"HTTPS://HC-PING.COM/{TOKEN}",
    ],
)
def test_usable_ping_urls(url: str) -> None:
    assert parse_ping_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"https://hc-ping.com/{TOKEN} x", "contains a space or a control character"),
        (f"https://hc ping.com/{TOKEN}", "contains a space or a control character"),
        (f"https://hc-ping.com/{TOKEN}\x01", "contains a space or a control character"),
        (f"https://hc-ping.com/a\tb/{TOKEN}", "contains a space or a control character"),
        (f"https://hc-ping.com/a\x7f/{TOKEN}", "contains a space or a control character"),
        (f"http://h:99999/{TOKEN}", "is not a valid URL: check its host and port"),
        (f"http://h:65536/{TOKEN}", "is not a valid URL: check its host and port"),
        (f"http://h:port/{TOKEN}", "is not a valid URL: check its host and port"),
        (f"http://[::1/{TOKEN}", "is not a valid URL: check its host and port"),
        (f"http://h:0/{TOKEN}", "has port 0"),
        (f"http://:80/{TOKEN}", "has no valid host name"),
        (f"http://a..b/{TOKEN}", "has no valid host name"),
        (f"http://{'a' * 64}.com/{TOKEN}", "has no valid host name"),
        (f"http://h\\x/{TOKEN}", "has no valid host name"),
        (f"http://user:{TOKEN}@h/x", "has a user part"),
        (f"http://{TOKEN}@/x", "has a user part"),
        (f"https://hc-ping.com/{TOKEN}?create=1", "has a query or fragment"),
        (f"https://hc-ping.com/{TOKEN}#x", "has a query or fragment"),
        (f"https://hc-ping.com/ü/{TOKEN}", "has a non-ASCII character in its path"),
    ],
)
def test_unusable_ping_urls_are_rejected_without_quoting_them(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse_ping_url(url)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("url", ["http://h:99999/x", "http://h/a b", "http://:80/x"])
def test_an_unusable_ping_url_names_its_variable(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"TASK_db_LOAD": "true", "TASK_db_PING_URL": url})
    [problem] = info.value.problems
    assert problem.startswith("TASK_db_PING_URL: ")


# --- folder paths -------------------------------------------------------------------------------

DEEP = "/" + "/".join(["d" * 99] * 30)  # 3,000 bytes


@pytest.mark.parametrize(
    "path", ["/" + "n" * NAME_MAX, "/" + "é" * (NAME_MAX // 2), DEEP + "/" + "e" * (MAX_FOLDER_PATH - 3001)]
)
def test_folder_paths_at_the_file_system_s_limits_are_accepted(path: str) -> None:
    config = parse_config({"TASK_db_LOAD": "true", "CONF_WORK_DIR": path, "CONF_STATE_DIR": path})
    assert str(config.work_dir) == str(config.state_dir) == path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/" + "n" * (NAME_MAX + 1), "has a folder name longer than 255 bytes"),
        ("/data/" + "é" * 128 + "/x", "has a folder name longer than 255 bytes"),
        (DEEP + "/" + "e" * (MAX_FOLDER_PATH - 3000), "is longer than 3,072 bytes"),
    ],
)
@pytest.mark.parametrize("name", ["CONF_WORK_DIR", "CONF_STATE_DIR"])
def test_folder_paths_beyond_the_file_system_s_limits_are_rejected(name: str, path: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_absolute_path(path)
    with pytest.raises(ConfigError) as info:
        parse_config({"TASK_db_LOAD": "true", name: path})
    assert info.value.problems == [f"{name}: {reason}"]
