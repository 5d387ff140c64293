from __future__ import annotations

import random

import pytest

from duplicity_cron.databases.rows.insert_rows import InsertRowCounter, locked_table

# The shape of mariadb-dump 10.7+ (one row a line), with what could fool a counter: values holding
# "),(", "UNLOCK TABLES;" and a line-looking "\n(" (escaped), a table with no rows, a backtick in a
# name, a trigger and a routine after the data whose lines start with "(".
DUMP = (
    b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n"
    b"CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` text\n) ENGINE=InnoDB;\n"
    b"LOCK TABLES `items` WRITE;\n/*!40000 ALTER TABLE `items` DISABLE KEYS */;\n"
    b"INSERT INTO `items` VALUES\n(1,'first'),\n(2,'a),(b UNLOCK TABLES;'),\n"
    b"(3,'it\\'s \\n(4,\\'x\\');'),\n(5,NULL);\n"
    b"INSERT INTO `items` VALUES\n(6,0x0A28);\n"
    b"/*!40000 ALTER TABLE `items` ENABLE KEYS */;\nUNLOCK TABLES;\n"
    b"DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON `items` FOR EACH ROW\n"
    b"(SELECT 1) */;;\nDELIMITER ;\n"
    b"LOCK TABLES `empty` WRITE;\n/*!40000 ALTER TABLE `empty` DISABLE KEYS */;\n"
    b"/*!40000 ALTER TABLE `empty` ENABLE KEYS */;\nUNLOCK TABLES;\n"
    b"LOCK TABLES `odd``name` WRITE;\nINSERT INTO `odd``name` VALUES\n(1);\nUNLOCK TABLES;\n"
    b"CREATE PROCEDURE `p`()\nBEGIN\n(SELECT 1);\nEND ;;\n"
)
EXPECTED = {("shop", "items"): 5, ("shop", "empty"): 0, ("shop", "odd`name"): 1}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 14, 15, 16, 64, len(DUMP)])
def test_rows_are_counted_whatever_the_pieces(size):
    counter = InsertRowCounter("shop")
    for start in range(0, len(DUMP), size):
        counter.feed(DUMP[start : start + size])
    assert counter.finish() == EXPECTED


def test_random_pieces_of_many_rows():
    rows = b"".join(b"(%d,'%s')%s\n" % (n, b"x" * (n % 300), b"," if n < 4999 else b";") for n in range(5000))
    dump = b"LOCK TABLES `t` WRITE;\nINSERT INTO `t` VALUES\n" + rows + b"UNLOCK TABLES;\n"
    generator = random.Random(7)
    counter = InsertRowCounter("db")
    position = 0
    while position < len(dump):
        size = generator.randint(1, 4000)
        counter.feed(dump[position : position + size])
        position += size
    assert counter.finish() == {("db", "t"): 5000}


def test_a_row_longer_than_many_pieces_is_one_row():
    counter = InsertRowCounter("db")
    counter.feed(b"LOCK TABLES `blobs` WRITE;\nINSERT INTO `blobs` VALUES\n(0x")
    for _ in range(100):
        counter.feed(b"ab" * 1000)
    counter.feed(b");\nUNLOCK TABLES;\n")
    assert counter.finish() == {("db", "blobs"): 1}


def test_a_section_the_dump_does_not_end_has_no_count():
    counter = InsertRowCounter("db")
    counter.feed(b"LOCK TABLES `t` WRITE;\nINSERT INTO `t` VALUES\n(1);\n")
    assert counter.finish() == {("db", "t"): None}


@pytest.mark.parametrize(
    ("line", "table"),
    [
        ("LOCK TABLES `items` WRITE;", "items"),
        ("LOCK TABLES `a``b c` WRITE;", "a`b c"),
        ("LOCK TABLES `items` READ;", None),
        ("-- LOCK TABLES `items` WRITE;", None),
    ],
)
def test_locked_table(line, table):
    assert locked_table(line) == table
