"""MariaDB's SQL rewritten on its way to `mariadb`: existing users left as they are, the PROXY grants
only root may give, a database loaded under a scratch name."""

from __future__ import annotations

from duplicity_cron.databases.mariadb.sql import (
    my_can_grant_proxy,
    my_globals,
    my_into_scratch,
    my_without_proxy,
)

MY_GLOBALS = """CREATE USER IF NOT EXISTS `root`@`localhost` IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS `backup`@`%` IDENTIFIED BY PASSWORD '*548E';
CREATE USER IF NOT EXISTS `app`@`%` IDENTIFIED BY PASSWORD '*3DC3';
CREATE ROLE IF NOT EXISTS mariadb_dump_import_role;
GRANT mariadb_dump_import_role TO CURRENT_USER();
GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA unix_socket WITH GRANT OPTION;
GRANT PROXY ON ``@`%` TO `root`@`LOCALHOST` WITH GRANT OPTION;
/*M!100005 SET DEFAULT ROLE NONE FOR 'root'@'localhost' */;
/*!80001 ALTER USER 'root'@'localhost' DEFAULT ROLE NONE */;
GRANT USAGE ON *.* TO `backup`@`%` IDENTIFIED BY PASSWORD '*548E';
GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*3DC3';
GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`;
"""


def test_my_globals_skip_every_statement_of_the_users_that_exist() -> None:
    text, kept = my_globals(MY_GLOBALS, {("root", "localhost"), ("backup", "%")})
    assert kept == ["'root'@'localhost'", "'backup'@'%'"]
    assert text == (
        "CREATE USER IF NOT EXISTS `app`@`%` IDENTIFIED BY PASSWORD '*3DC3';\n"
        "CREATE ROLE IF NOT EXISTS mariadb_dump_import_role;\n"
        "GRANT mariadb_dump_import_role TO CURRENT_USER();\n"
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*3DC3';\n"
        "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`;\n"
    )


def test_my_into_scratch_renames_create_use_and_alter_database() -> None:
    dump = [
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n",
        "USE `shop`;\n",
        "INSERT INTO `items` VALUES (1,'USE `shop`;');\n",
        "/*!50003 ALTER DATABASE `shop` CHARACTER SET latin1 */ ;\n",
        "USE `shop`;\n",
    ]
    assert list(my_into_scratch(dump, "shop", "dcv_x")) == [
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `dcv_x` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n",
        "USE `dcv_x`;\n",
        "INSERT INTO `items` VALUES (1,'USE `shop`;');\n",
        "/*!50003 ALTER DATABASE `dcv_x` CHARACTER SET latin1 */ ;\n",
        "USE `dcv_x`;\n",
    ]


def test_my_without_proxy_leaves_out_the_grants_only_a_user_with_proxy_may_load() -> None:
    # mariadb-dump 10.11's lines for Debian's `mysql`@`localhost` and a user proxying `app`
    text = (
        "GRANT ALL PRIVILEGES ON *.* TO `mysql`@`localhost` IDENTIFIED VIA mysql_native_password USING "
        "'invalid' OR unix_socket WITH GRANT OPTION;\n"
        "GRANT PROXY ON ``@`%` TO `mysql`@`localhost` WITH GRANT OPTION;\n"
        "GRANT USAGE ON *.* TO `px`@`%` IDENTIFIED BY PASSWORD '*7B9E';\n"
        "GRANT PROXY ON `app`@`%` TO `px`@`%`;\n"
    )
    lines = text.splitlines(keepends=True)
    assert my_without_proxy(text) == (lines[0] + lines[2], ["'mysql'@'localhost'", "'px'@'%'"])
    assert my_without_proxy(lines[0]) == (lines[0], [])


def test_my_can_grant_proxy_reads_show_grants() -> None:
    root = (  # MariaDB 10.11's SHOW GRANTS as root
        "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING "
        "'invalid' OR unix_socket WITH GRANT OPTION\n"
        "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION\n"
    )
    backup = "GRANT ALL PRIVILEGES ON *.* TO `backup`@`%` IDENTIFIED BY PASSWORD '*548E' WITH GRANT OPTION\n"
    assert my_can_grant_proxy(root)
    assert not my_can_grant_proxy(backup)
    assert my_can_grant_proxy("GRANT PROXY ON ''@'%' TO 'admin'@'%' WITH GRANT OPTION\n")
    assert not my_can_grant_proxy("GRANT PROXY ON 'app'@'%' TO 'px'@'%' WITH GRANT OPTION\n")
    assert not my_can_grant_proxy("GRANT PROXY ON ''@'%' TO 'px'@'%'\n")


def test_my_into_scratch_creates_the_scratch_database_with_the_drills_marker_as_its_comment() -> None:
    dump = [
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */ "
        "COMMENT 'the shop''s \\\\ own; COMMENT ''x'' ';\n",
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop`;\n",
        "USE `shop`;\n",
    ]
    assert list(my_into_scratch(dump, "shop", "dcv_x", "duplicity-cron drill: it's")) == [
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `dcv_x` /*!40100 DEFAULT CHARACTER SET utf8mb4 */ "
        "COMMENT 'duplicity-cron drill: it''s';\n",
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `dcv_x` COMMENT 'duplicity-cron drill: it''s';\n",
        "USE `dcv_x`;\n",
    ]
