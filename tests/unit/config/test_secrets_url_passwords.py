"""The password of a URL (`scheme://user:password@host`) in any variable's value is a secret, whatever the
variable's name: found in free text, as written and percent-decoded, the user part left readable."""

from __future__ import annotations

import pytest

from duplicity_cron.config.environment import layer_environment
from duplicity_cron.config.secrets import MASK, Masker, find_secrets, url_passwords


def no_files(path: str) -> str:
    raise AssertionError(f"no secret file is read here: {path}")


def mask_of(env: dict[str, str]) -> Masker:
    return layer_environment(env, [], no_files).mask


# --- extraction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "passwords"),
    [
        ("sftp://backup:sftp-pw-1@host.example/srv", ["sftp-pw-1"]),
        ("postgresql://app:pg-pw-22@db:5432/app?sslmode=require", ["pg-pw-22"]),
        ("s3://AKIAEXAMPLE:wJalrXUtnFEMI+K7MDENG@bucket/prefix", ["wJalrXUtnFEMI+K7MDENG"]),
        ("https://user:http-pw@host/path", ["http-pw"]),
        ("pexpect+sftp://u:pexpect-pw@h", ["pexpect-pw"]),
        ("webdavs://u:dav-pw@h:8443/", ["dav-pw"]),
        ("http://u:v6-pass@[::1]:8080/x", ["v6-pass"]),
        ("https://:only-password@host", ["only-password"]),
        ("rsync://u:with:colons@h", ["with:colons"]),  # the password starts at the first ':'
        ("sftp://u:p@ss-word@h/x", ["p@ss-word"]),  # and ends at the last '@' of the host part
    ],
)
def test_the_password_of_a_url(text: str, passwords: list[str]) -> None:
    assert url_passwords(text) == passwords


def test_a_percent_encoded_password_is_found_encoded_and_decoded() -> None:
    assert url_passwords("sftp://u:p%40ss%2Fw0rd@h/x") == ["p%40ss%2Fw0rd", "p@ss/w0rd"]


@pytest.mark.parametrize(
    ("text", "passwords"),
    [
        ("--dsn=postgresql://u:dsn-pw-1@h/db --verbose", ["dsn-pw-1"]),
        ('duplicity backup "$SRC" "sftp://u:quoted-pw@h/x"', ["quoted-pw"]),
        ("--target='sftp://u:single-pw@h/x'", ["single-pw"]),
        ('{"url":"sftp://u:json-pw@h","note":"a@b"}', ["json-pw"]),
        ("(see <https://u:angle-pw@h>)", ["angle-pw"]),
        ("x_sftp://u:after-underscore@h", ["after-underscore"]),
    ],
)
def test_urls_inside_longer_text(text: str, passwords: list[str]) -> None:
    assert url_passwords(text) == passwords


@pytest.mark.parametrize(
    "text",
    [
        "sftp://a:first-pw@h1/x s3://K:second-pw@bucket",
        "sftp://a:first-pw@h1,s3://K:second-pw@bucket",
        "sftp://a:first-pw@h1/x\ns3://K:second-pw@bucket",
    ],
)
def test_several_urls_in_one_value(text: str) -> None:
    assert url_passwords(text) == ["first-pw", "second-pw"]


def test_a_url_without_a_password_ending_where_the_next_one_starts() -> None:
    assert url_passwords("sftp://host,s3://K:second-pw@bucket") == ["second-pw"]


@pytest.mark.parametrize(
    "text",
    [
        "meet at 10:30@office",
        "a:b@c",
        "user@host:path/to/dir",  # scp style
        "git@github.com:org/repo.git",
        "mailto:user:pw@example.com",  # no //
        "https://user@host/path",  # a user, no password
        "https://user:@host/path",  # an empty password
        "https://host/path?login=a:b@c",  # '@' after the host part
        "https://host/users/a:b@c#x:y@z",
        "https://medium.com/@user:tag",
        "plain text, no url at all",
        "",
    ],
)
def test_text_without_a_url_password(text: str) -> None:
    assert url_passwords(text) == []


# --- any variable, any name ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BACKUP_TARGET", "DB_DSN", "TASK_db_LOAD", "http_proxy", "X"])
def test_a_url_password_in_any_variable_is_a_secret(name: str) -> None:
    secrets = find_secrets({name: "sftp://backup:hidden-pw-7@host/x", "PATH": "/usr/bin"})
    assert [(s.variable, s.value, s.kind) for s in secrets] == [(name, "hidden-pw-7", "url")]


def test_the_password_is_masked_and_the_user_stays_readable() -> None:
    mask = mask_of({"BACKUP_TARGET": "sftp://backupuser:hidden-pw-7@host.example/srv/backups"})
    assert (
        mask("target sftp://backupuser:hidden-pw-7@host.example/srv/backups")
        == f"target sftp://backupuser:{MASK}@host.example/srv/backups"
    )
    assert mask("the password alone: hidden-pw-7.") == f"the password alone: {MASK}."


def test_encoded_and_decoded_passwords_are_both_masked() -> None:
    mask = mask_of({"DB_DSN": "postgresql://app:p%40ss-w0rd@db/app"})
    assert mask("dsn postgresql://app:p%40ss-w0rd@db/app") == f"dsn postgresql://app:{MASK}@db/app"
    assert mask("PGPASSWORD=p@ss-w0rd psql") == f"PGPASSWORD={MASK} psql"


def test_every_url_of_every_variable_is_masked() -> None:
    mask = mask_of(
        {
            "BACKUP_TARGETS": "sftp://a:first-pw@h1/x s3://K:second-pw@bucket",
            "DUMP_ARGS": "--dsn=postgresql://u:third-pw@h/db",
            "TASK_db_LOAD": 'duplicity "$SRC" "webdav://u:fourth-pw@h/x"',
        }
    )
    line = mask("first-pw second-pw third-pw fourth-pw")
    assert line == " ".join([MASK] * 4)


def test_a_url_password_in_a_secret_file_is_masked_on_its_own() -> None:
    env = layer_environment({"DB_PASSWORD_FILE": "/s"}, [], lambda _: "postgresql://u:file-url-pw@h/db\n")
    assert env.mask("password file-url-pw") == f"password {MASK}"
    [url] = [s for s in find_secrets(env.values, {"DB_PASSWORD": "DB_PASSWORD_FILE"}) if s.kind == "url"]
    assert url.variable == "DB_PASSWORD_FILE"


def test_text_that_is_not_a_url_is_not_masked() -> None:
    line = "meet at 10:30@office; user@host:path; https://host/p?q=a:b@c"
    assert mask_of({"NOTE": line, "TARGET": "user@host:path"})(line) == line
