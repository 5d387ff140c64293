"""The daemon's plan: first due time and max age of every scheduled task."""

from __future__ import annotations

from datetime import UTC, datetime

from duplicity_cron.config.schedules import CronSchedule
from duplicity_cron.daemon.plan import plan, schedule_of
from duplicity_cron.model import PlannedTask, Task

NOW = datetime(2026, 12, 1, 10, 17, tzinfo=UTC)


def test_only_scheduled_tasks_with_their_first_due_time_and_max_age() -> None:
    tasks = [
        Task("hourly", {"load": "true"}, schedule=CronSchedule.from_crontab("0 * * * *")),
        Task("set", {"load": "true"}, schedule=CronSchedule.from_crontab("0 3 * * *"), max_age=3600.0),
        Task("adhoc", {"load": "true"}),
    ]
    assert plan(tasks, NOW) == (
        PlannedTask("hourly", "0 * * * *", 7200.0, datetime(2026, 12, 1, 11, 0, tzinfo=UTC)),
        PlannedTask("set", "0 3 * * *", 3600.0, datetime(2026, 12, 2, 3, 0, tzinfo=UTC)),
    )


def test_drills_are_entries_of_their_own_after_the_backups() -> None:
    weekly = CronSchedule.from_periodicity("weekly")
    tasks = [
        Task("home", {}, schedule=CronSchedule.from_crontab("0 3 * * *"), target="file:///b", verify=weekly),
        Task("photos", {}, target="file:///p", verify=CronSchedule.from_crontab("*/5 * * * * *")),
    ]
    assert plan(tasks, NOW) == (
        PlannedTask("home", "0 3 * * *", 2 * 86400.0, datetime(2026, 12, 2, 3, 0, tzinfo=UTC)),
        PlannedTask("home", "weekly (20 2 * * 0)", 14 * 86400.0, datetime(2026, 12, 6, 2, 20, tzinfo=UTC),
                    drill=True),
        PlannedTask("photos", "*/5 * * * * *", 10.0, datetime(2026, 12, 1, 10, 17, 5, tzinfo=UTC),
                    drill=True),
    )  # fmt: skip
    assert [entry.key for entry in plan(tasks, NOW)] == ["home", "home/verify", "photos/verify"]
    assert schedule_of(tasks[0], plan(tasks, NOW)[1]) is weekly
