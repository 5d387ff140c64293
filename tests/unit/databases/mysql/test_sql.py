from __future__ import annotations

import pytest

from duplicity_cron.databases.mysql import commands as my
from duplicity_cron.databases.mysql.sql import (
    into_scratch,
    object_grants,
    unescape,
    users_file,
    with_grants,
    without_accounts,
)

HASH = "0x244124303041241F5A43"
# what `mysql --batch` (escaped) prints for users_script([app, readers, root]): the comment holds a
# quote, a backslash and a newline
OUTPUT = (
    "--\n"
    f"CREATE USER `app`@`%` IDENTIFIED WITH 'caching_sha2_password' AS {HASH} DEFAULT ROLE `readers`@`%` "
    'REQUIRE NONE ATTRIBUTE \'{"comment": "it\\\\\'s a\\\\\\\\b\\nc"}\'\n'
    "GRANT USAGE ON *.* TO `app`@`%`\n"
    "GRANT `readers`@`%` TO `app`@`%`\n"
    "--\n"
    "CREATE USER `readers`@`%` IDENTIFIED WITH 'caching_sha2_password' REQUIRE NONE ACCOUNT LOCK\n"
    "GRANT SELECT ON `shop`.* TO `readers`@`%`\n"
    "--\n"
    "CREATE USER `root`@`localhost` IDENTIFIED WITH 'caching_sha2_password' AS 0x24 REQUIRE NONE\n"
    "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION\n"
)
ACCOUNTS = [("app", "%"), ("readers", "%"), ("root", "localhost")]


def test_unescape_undoes_the_batch_escapes() -> None:
    assert unescape("a\\tb\\nc\\\\n\\0") == "a\tb\nc\\n\0"


def test_the_users_file_creates_every_account_first_the_default_roles_last_then_grants() -> None:
    text = users_file(ACCOUNTS, OUTPUT)
    statements = [line for line in text.splitlines() if not line.startswith("-- account ")]
    creates = [line.split(" IDENTIFIED")[0] for line in statements if line.startswith("CREATE")]
    assert creates == [
        "CREATE USER IF NOT EXISTS `readers`@`%`",  # the role before the user naming it as DEFAULT ROLE
        "CREATE USER IF NOT EXISTS `root`@`localhost`",
        "CREATE USER IF NOT EXISTS `app`@`%`",
    ]
    assert text.index("GRANT USAGE ON *.* TO `app`") > text.index("CREATE USER IF NOT EXISTS `app`")
    assert f"AS {HASH} DEFAULT ROLE" in text  # the hash in hex, as SHOW CREATE USER gave it
    assert 'ATTRIBUTE \'{"comment": "it\\\'s a\\\\b\nc"}\';\n' in text  # the value as the server holds it
    assert (
        '-- account ["app", "%"]\nGRANT USAGE ON *.* TO `app`@`%`;\nGRANT `readers`@`%` TO `app`@`%`;\n'
        in text
    )


def test_output_that_does_not_match_the_accounts_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 accounts' statements for 3 accounts"):
        users_file(ACCOUNTS, OUTPUT.rsplit("--\n", 1)[0])


def test_a_restore_keeps_the_accounts_that_exist() -> None:
    text, kept = without_accounts(users_file(ACCOUNTS, OUTPUT), {("root", "localhost"), ("READERS", "%")})
    assert kept == ["'root'@'localhost'"]  # user names are case-sensitive, hosts are not
    assert "`root`" not in text and "CREATE USER IF NOT EXISTS `readers`" in text and "TO `app`@`%`;" in text
    both, kept = without_accounts(users_file(ACCOUNTS, OUTPUT), {("root", "localhost"), ("app", "%")})
    assert kept == ["'root'@'localhost'", "'app'@'%'"] and "`app`" not in both


def test_a_drill_loads_the_dump_under_its_scratch_name_marked_right_after_its_use() -> None:
    dump = [
        "-- MySQL dump 10.13\n",
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n",
        "USE `shop`;\n",
        "CREATE TABLE `items` (`id` int);\n",
        "/*!50003 ALTER DATABASE `shop` CHARACTER SET utf8mb4 */ ;\n",
        "USE `shop`;\n",
    ]
    out = list(into_scratch(dump, "shop", "dcv_x_1_shop", "the marker"))
    assert out[1] == (
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `dcv_x_1_shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n"
    )
    assert out[2:4] == ["USE `dcv_x_1_shop`;\n", my.drill_marker_sql("the marker")]
    assert out[5] == "/*!50003 ALTER DATABASE `dcv_x_1_shop` CHARACTER SET utf8mb4 */ ;\n"
    assert out[6] == "USE `dcv_x_1_shop`;\n" and len(out) == 7  # marked once


def test_grants_on_tables_columns_and_routines_are_loaded_after_their_database() -> None:
    text = (
        '-- account ["app", "%"]\n'
        "GRANT USAGE ON *.* TO `app`@`%`;\n"
        "GRANT SELECT ON `shop`.* TO `app`@`%`;\n"
        "GRANT INSERT, UPDATE ON `shop`.`items` TO `app`@`%`;\n"
        "GRANT SELECT (`id`, `name`) ON `wi``ki`.`pages` TO `app`@`%`;\n"
        "GRANT EXECUTE ON PROCEDURE `shop`.`cheap` TO `app`@`%`;\n"
    )
    rest, grants = object_grants(text)
    assert rest == text.split("GRANT INSERT")[0]  # the global and database grants stay
    assert grants == {
        "shop": ["GRANT INSERT, UPDATE ON `shop`.`items` TO `app`@`%`;\n",
                 "GRANT EXECUTE ON PROCEDURE `shop`.`cheap` TO `app`@`%`;\n"],
        "wi`ki": ["GRANT SELECT (`id`, `name`) ON `wi``ki`.`pages` TO `app`@`%`;\n"],
    }  # fmt: skip
    script = ["CREATE DATABASE `shop`;\n", "USE `shop`;\n", "CREATE TABLE `items` (`id` int);\n"]
    assert list(with_grants(script, grants)) == script + grants["shop"]
    assert list(with_grants(["USE `other`;\n"], grants)) == ["USE `other`;\n"]
