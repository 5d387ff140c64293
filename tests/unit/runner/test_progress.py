"""Progress lines from duplicity 3.2.1's output (the lines below were copied from real runs): one log
line per interval, a bar on a terminal, and nothing else taken from the output."""

from __future__ import annotations

import io

from duplicity_cron.runner.progress import (
    BackupFilter,
    MachineLogFilter,
    Progress,
    Reporter,
    backup_progress,
    format_eta,
)

# `duplicity full -v notice --progress --progress-rate 1 --volsize 10` of 38 MB, stdout as it came.
BACKUP_OUTPUT = """\
Last full backup date: none
DEBUG: to_partial called for b'duplicity-full.20261201T133422Z.manifest.part'
10.0MB 00:00:01 [3.0MB/s] [==========>                              ] 26% ETA 2sec
\x1b[F\x1b[2K20.0MB 00:00:02 [5.1MB/s] [=====================>                   ] 52% ETA 1sec
\x1b[F\x1b[2K30.1MB 00:00:03 [6.6MB/s] [===============================>         ] 78% ETA 0sec
\x1b[F\x1b[2K0.0KB 00:00:06 [0.0B/s] [>                                        ] 0% ETA Stalled!
DEBUG: to_final called for b'duplicity-full.20261201T133422Z.manifest'
38.3MB 1d,00:00:06 [5.7MB/s] [========================================>] 100% ETA 0sec
--------------[ Backup Statistics ]--------------
SourceFiles 201
Duplicity backup complete.
""".splitlines()

# `duplicity restore -v info --log-fd 3 3>&1 1>/dev/null` of a backup of 4 volumes (shortened).
RESTORE_LOG = """\
INFO 1
. Using archive dir: /tmp/cmeas/cache/v1
NOTICE 1
. Last full backup date: Tue Dec  1 13:34:22 2026

INFO 7 'f1' reg
. Writing f1 of type reg

INFO 2 1 4
. Processed volume 1 of 4

WARNING 2
. a warning in words

INFO 2 2 4
. Processed volume 2 of 4

ERROR 31 GPGError
. GPG error detail

a line outside any record
""".splitlines()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_backup_line_is_read_with_or_without_the_terminal_rewrite():
    assert backup_progress(BACKUP_OUTPUT[2]) == Progress("10.0MB", 26, "2sec")
    assert backup_progress(BACKUP_OUTPUT[3]) == Progress("20.0MB", 52, "1sec")
    assert backup_progress(BACKUP_OUTPUT[5]) == Progress("0.0KB", 0, "Stalled!")
    assert backup_progress(BACKUP_OUTPUT[7]) == Progress("38.3MB", 100, "0sec")  # over a day
    assert backup_progress("SourceFiles 201") is None
    assert backup_progress("10.0MB of my file names") is None


def test_the_backup_filter_takes_progress_and_noise_and_leaves_the_rest():
    clock, lines = Clock(), []
    backup = BackupFilter(Reporter(1, lines.append, clock=clock))
    kept = []
    for line in BACKUP_OUTPUT:
        clock.now += 0.6
        if not backup.feed(line):
            kept.append(line)
    assert kept == ["--------------[ Backup Statistics ]--------------", "SourceFiles 201"]
    assert lines == [  # 0.6 s between lines, at most one a second: at 1.8 s, 3.0 s and 4.8 s
        "progress: 26% done (10.0MB), ETA 2sec",
        "progress: 78% done (30.1MB), ETA 0sec",
        "progress: 100% done (38.3MB), ETA 0sec",
    ]


def test_a_reporter_emits_at_most_one_line_per_interval():
    clock, lines = Clock(), []
    reporter = Reporter(60, lines.append, clock=clock)
    for _ in range(100):
        clock.now += 5
        reporter.sample(Progress("1MB", 10, "1min"))
    assert len(lines) == 500 // 60


def test_interval_zero_is_off():
    lines: list[str] = []
    bar = io.StringIO()
    reporter = Reporter(0, lines.append, bar=bar)
    reporter.sample(Progress("1MB", 10, "1min"))
    assert lines == [] and bar.getvalue() == ""


def test_a_terminal_gets_a_bar_redrawn_in_place_and_cleared_before_other_lines():
    lines: list[str] = []
    bar = io.StringIO()
    reporter = Reporter(60, lines.append, bar=bar)
    reporter.sample(Progress("volume 1 of 2", 50, "3s"))
    assert bar.getvalue() == "\r[" + "=" * 15 + " " * 15 + "] 50% done (volume 1 of 2), ETA 3s\x1b[K"
    reporter.clear()
    assert bar.getvalue().endswith("\r\x1b[K") and lines == []  # no log line while a bar shows
    before = bar.getvalue()
    reporter.close()  # nothing drawn since: nothing to clear
    assert bar.getvalue() == before


def test_restore_records_become_samples_and_warnings_words():
    clock, lines, shown = Clock(), [], []
    reporter = Reporter(1, lines.append, clock=clock)
    machine = MachineLogFilter(reporter, shown.append)
    kept = []
    for line in RESTORE_LOG:
        clock.now += 2
        if not machine.feed(line):
            kept.append(line)
    assert shown == ["a warning in words"]
    assert kept == ["a line outside any record"]
    # 2 s a line: 18 s at volume 1 of 4, so 54 s left; 30 s at volume 2, so 30 s left
    assert lines == [
        "progress: 25% done (volume 1 of 4), ETA 54s",
        "progress: 50% done (volume 2 of 4), ETA 30s",
    ]


def test_eta_texts():
    assert [format_eta(s) for s in (0, 59.4, 61, 3600 + 120)] == ["0s", "59s", "1m01s", "1h02m"]
