"""The plan of MariaDB's parallel load (`mariadb.script`): where each line of a mariadb-dump script goes,
what a session starts with, and a table's INSERT statements taken in pieces of whole statements."""

from __future__ import annotations

import pytest

from duplicity_cron.databases.mariadb.script import KEYS, PRE, REST, ROWS, SKIP, Planner, Reader

HEADER = [
    b"/*!40101 SET NAMES utf8mb4 */;\n",
    b"/*!40103 SET TIME_ZONE='+00:00' */;\n",
    b"/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n",
]
SCRIPT = [
    *[(line, PRE) for line in HEADER],
    (b"-- Current Database: `shop`\n", PRE),
    (b"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop`;\n", PRE),
    (b"USE `shop`;\n", PRE),
    (b"-- Table structure for table `items`\n", PRE),
    (b"CREATE TABLE `items` (\n", PRE),
    (b"  `id` int(11) NOT NULL,\n", PRE),
    (b") ENGINE=MyISAM DEFAULT CHARSET=utf8mb4;\n", PRE),
    (b"-- Dumping data for table `items`\n", PRE),
    (b"LOCK TABLES `items` WRITE;\n", ROWS),
    (b"/*!40000 ALTER TABLE `items` DISABLE KEYS */;\n", PRE),  # MyISAM: its keys are built after the rows
    (b"/*!40000 ALTER TABLE `items` ENABLE KEYS */;\n", KEYS),
    (b"UNLOCK TABLES;\n", SKIP),
    (b"DELIMITER ;;\n", REST),  # the table's trigger: after all rows
    (b"/*!50003 CREATE*/ /*!50003 TRIGGER `t` AFTER INSERT ON `items` FOR EACH ROW BEGIN\n", REST),
    (b"-- Table structure for table `not a comment inside the block`\n", REST),
    (b"END */;;\n", REST),
    (b"DELIMITER ;\n", REST),
    (b"-- Table structure for table `orders`\n", PRE),
    (b"CREATE TABLE `orders` (\n", PRE),
    (b") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n", PRE),
    (b"LOCK TABLES `orders` WRITE;\n", ROWS),
    (b"/*!40000 ALTER TABLE `orders` DISABLE KEYS */;\n", SKIP),  # InnoDB: a no-op
    (b"/*!40000 ALTER TABLE `orders` ENABLE KEYS */;\n", SKIP),
    (b"UNLOCK TABLES;\n", SKIP),
    (b"-- Dumping routines for database 'shop'\n", REST),
    (b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n", REST),
]


def test_every_line_goes_where_the_parallel_load_runs_it() -> None:
    planner = Planner()
    assert [planner.route(line) for line, _ in SCRIPT] == [where for _, where in SCRIPT]


def test_a_session_starts_with_the_headers_settings_and_the_scripts_use() -> None:
    planner = Planner()
    for line, _ in SCRIPT:
        planner.route(line)
    assert planner.prefix() == b"".join(HEADER) + b"USE `shop`;\n"


def pieces_of(data: bytes, chunk: int) -> tuple[list[bytes], bytes]:
    chunks = [data[at : at + chunk] for at in range(0, len(data), chunk)]
    reader = Reader(lambda: chunks.pop(0) if chunks else b"")
    return list(reader.insert_pieces()), reader.readline()


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_a_tables_inserts_come_in_whole_statements_up_to_its_end_line(chunk: int) -> None:
    inserts = b"".join(
        b"INSERT INTO `items` VALUES\n(%d,'a;\\nb'),\n(%d,'c');\n" % (n, n + 1) for n in range(50)
    )
    pieces, after = pieces_of(
        inserts + b"/*!40000 ALTER TABLE `items` ENABLE KEYS */;\nUNLOCK TABLES;\n", chunk
    )
    assert b"".join(pieces) == inserts
    assert all(piece.startswith(b"INSERT INTO ") and piece.endswith(b";\n") for piece in pieces)
    assert after == b"/*!40000 ALTER TABLE `items` ENABLE KEYS */;\n"  # left to be read


def test_a_script_that_ends_inside_the_rows_is_an_error() -> None:
    with pytest.raises(ValueError, match="no line UNLOCK TABLES"):
        pieces_of(b"INSERT INTO `items` VALUES\n(1);\n", 64)
