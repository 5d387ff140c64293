"""The `duplicity-cron.*` labels of an engine's containers: their names and what a run does for each,
the vocabulary `containers.labels` reads and the reference's table shows (`views.reference`)."""

from __future__ import annotations

PREFIX = "duplicity-cron."
STOP_LABEL = PREFIX + "stop-during-backup"
# a restore replaces files the container has open: stopped then, not for backups (SQLite's are online)
STOP_RESTORE_LABEL = PREFIX + "stop-during-restore"
STOP_LABELS = (STOP_LABEL, STOP_RESTORE_LABEL)
EXEC_BEFORE, EXEC_AFTER = "exec-before", "exec-after"

# (the label as it is written, what a run of the task does): the reference's table
LABELS: tuple[tuple[str, str], ...] = (
    (
        f"{STOP_LABEL}=<task>[,<task>...]",
        "stops the container right before that task's backup step and starts it again right after it, "
        "whatever happens: success, failure, timeout, SIGTERM of the runner",
    ),
    (
        f"{STOP_RESTORE_LABEL}=<task>[,<task>...]",
        "stops the container while `restore TASK` puts files back in place (a SQLite task's `restore app "
        "--drop`: an application must not hold the old file open), and starts it again after; not for "
        "backups (SQLite's copy is online). A `stop-during-backup` container is stopped for such a "
        "restore too",
    ),
    (
        f"{PREFIX}<task>.{EXEC_BEFORE}=<command>",
        "runs `sh -c <command>` in the container before the task's first step (a dump into a shared "
        "volume, `redis-cli save`, a maintenance mode); a non-zero exit fails the run, naming the "
        "container, and the backup does not run",
    ),
    (
        f"{PREFIX}<task>.{EXEC_AFTER}=<command>",
        "runs `sh -c <command>` in the container after the task's main steps, after a failure too, before"
        " its `failed`/`finally` hooks (which see its status); a non-zero exit fails a run that had "
        "succeeded",
    ),
)
