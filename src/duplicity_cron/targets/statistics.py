"""Duplicity's "Backup Statistics" block, read line by line from a backup's output.

Duplicity 3.2.1 prints it after every `backup`/`full`/`incremental` at any verbosity (unless
`--no-print-statistics`):

    --------------[ Backup Statistics ]--------------
    StartTime 1796131334.99 (Tue Dec  1 13:22:14 2026)
    ElapsedTime 0.49 (0.49 seconds)
    SourceFiles 5
    SourceFileSize 108199 (106 KB)
    ...
    Errors 0
    -------------------------------------------------

Pure: the runner feeds it the lines of its built-in backup step.
"""

from __future__ import annotations

from ..model import BackupStats

HEADER = "[ Backup Statistics ]"
# duplicity's name -> BackupStats field
FIELDS = {
    "ElapsedTime": "elapsed",
    "SourceFiles": "source_files",
    "SourceFileSize": "source_bytes",
    "NewFiles": "new_files",
    "NewFileSize": "new_bytes",
    "ChangedFiles": "changed_files",
    "ChangedFileSize": "changed_bytes",
    "DeletedFiles": "deleted_files",
    "RawDeltaSize": "raw_delta_bytes",
    "TotalDestinationSizeChange": "destination_change_bytes",
    "Errors": "errors",
}


class StatisticsReader:
    """Collects the block from lines as they come; `stats` is the last complete block, or None."""

    def __init__(self) -> None:
        self._values: dict[str, float] | None = None
        self.stats: BackupStats | None = None

    def feed(self, line: str) -> None:
        text = line.strip()
        if HEADER in text:
            self._values = {}
            return
        if self._values is None:
            return
        if text.startswith("---"):
            self._finish()
            return
        name, _, rest = text.partition(" ")
        if name in FIELDS:
            try:
                self._values[FIELDS[name]] = float(rest.split(" ", 1)[0])
            except ValueError:
                self._values = None  # not duplicity's block after all

    def _finish(self) -> None:
        values, self._values = self._values or {}, None
        if set(values) != set(FIELDS.values()):
            return  # an incomplete block is no statistics
        self.stats = BackupStats.from_dict(values)


def read_statistics(lines: list[str]) -> BackupStats | None:
    """The last complete statistics block in `lines`."""
    reader = StatisticsReader()
    for line in lines:
        reader.feed(line)
    return reader.stats
