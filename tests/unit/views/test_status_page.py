"""The status page (`views.status_page`, `views.svg_plots`): rendered from `status` entries and runs,
read back with the standard library's HTML parser: its tasks, its plots' points, escaping, masking,
X-Forwarded-Prefix, an empty history, warnings, and thousands of runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from duplicity_cron.config.schedules import CronSchedule
from duplicity_cron.config.secrets import Masker
from duplicity_cron.model import BackupStats, RunResult, Status, TargetContents, Task, Trigger
from duplicity_cron.model.target import BackupChain
from duplicity_cron.views import status_page
from duplicity_cron.views.status import status_entry
from duplicity_cron.views.svg_plots import Point, svg_plot

NOW = datetime(2026, 5, 13, 10, 20, tzinfo=UTC)
CANARY = "canary-Page-Secr3t-77b1"


class Parsed(HTMLParser):
    """Every element with its attributes, and the text outside tags."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def tags(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def points(self) -> list[dict[str, str]]:
        return [attrs for attrs in self.tags("g") if attrs.get("class", "").startswith("pt ")]

    @property
    def text(self) -> str:
        return "".join(self.texts)


def task(task_id: str = "home", verify: bool = False) -> Task:
    return Task(
        id=task_id,
        steps={"load": "true"},
        schedule=CronSchedule.from_crontab("0 3 * * *", UTC),
        verify=CronSchedule.from_crontab("0 5 * * 0", UTC) if verify else None,
    )


def stats(added: int) -> BackupStats:
    return BackupStats(10, 1000, 1, 100, 0, 0, 0, 100, added, 0, 1.0)


def run(
    minutes_ago: float,
    status: Status = Status.SUCCEEDED,
    *,
    seconds: float = 12.5,
    added: int | None = None,
    held: int | None = None,
    drill: bool = False,
    recovery: float | None = None,
    tail: tuple[str, ...] = (),
    task_id: str = "home",
) -> RunResult:
    started = NOW - timedelta(minutes=minutes_ago)
    return RunResult(
        task=task_id,
        status=status,
        trigger=Trigger.VERIFY if drill else Trigger.SCHEDULE,
        started=started,
        ended=started + timedelta(seconds=seconds),
        exit_code=0 if status is Status.SUCCEEDED else 1,
        failed_step=None if status is Status.SUCCEEDED else "load",
        output_tail=tail,
        backup=None if added is None else stats(added),
        recovery_seconds=recovery,
        target_bytes=held,
    )


def render(tasks: list[Task], runs: dict[str, list[RunResult]], **options) -> str:
    contents = options.pop("contents", {})
    entries = [status_entry(t, runs.get(t.id, []), NOW, UTC, contents.get(t.id)) for t in tasks]
    options.setdefault("mask", Masker([CANARY]))
    return status_page.page(entries, runs, now=NOW, zone=UTC, **options)


def test_the_tasks_their_states_and_the_plots_points_are_the_history_s_values() -> None:
    home = [
        run(300, added=5000, held=5000, seconds=10),
        run(200, Status.FAILED, seconds=3),
        run(100, Status.LOST, seconds=0),
        run(50, added=7000, held=4000, seconds=20),  # retention removed the older chain
        run(40, drill=True, recovery=4.25),
        run(30, Status.FAILED, drill=True),
    ]
    chain = BackupChain(NOW - timedelta(hours=5), (NOW - timedelta(hours=1),), 3, True)
    page = render(
        [task("home", verify=True), task("other")],
        {"home": home},
        contents={"home": TargetContents(NOW, (chain,))},
    )
    parsed = Parsed(page)
    rows = {row["data-task"]: row["data-state"] for row in parsed.tags("tr") if "data-task" in row}
    assert rows == {"home": "succeeded", "other": "never run"}
    plots = {svg["data-plot"]: svg for svg in parsed.tags("svg")}
    assert (
        set(plots)
        == {
            "duration of the runs",
            "bytes added to the target",
            "target size (its chains, after the run)",
            "restore time of the drills",
            # the task without runs: its duration plot only, empty
        }
        and [svg["data-points"] for svg in parsed.tags("svg")][-1] == "0"
    )
    points = parsed.points()
    by_plot: list[list[dict[str, str]]] = []
    for svg_attrs in parsed.tags("svg"):
        by_plot.append(points[: int(svg_attrs["data-points"])])
        points = points[int(svg_attrs["data-points"]) :]
    durations, added, sizes, drills, _empty = by_plot
    backups = home[:4]
    assert [p["data-started"] for p in durations] == [r.started.isoformat() for r in backups]
    assert [p["data-value"] for p in durations] == ["10", "3", "", "20"]  # the lost run measured nothing
    assert [p["data-status"] for p in durations] == ["succeeded", "failed", "lost", "succeeded"]
    assert [p["class"] for p in durations] == ["pt ok", "pt failed", "pt lost", "pt ok"]
    assert [p["data-value"] for p in added] == ["5000", "", "", "7000"]
    assert [p["data-value"] for p in sizes] == ["5000", "", "", "4000"]
    assert [(p["data-value"], p["class"]) for p in drills] == [("4.25", "pt ok"), ("", "pt failed")]
    assert "1 chain(s), last full 2026-05-13T05:20:00+00:00 with 1 incremental(s) since" in parsed.text
    assert "2026-05-14 03:00:00" in parsed.text  # the next run


def test_a_task_id_and_output_with_html_are_text_not_markup() -> None:
    evil = "<script>x</script>"
    runs = {
        evil: [run(5, Status.FAILED, task_id=evil, tail=('<img src=x onerror="alert(1)">', "&amp; </pre>"))]
    }
    page = render([task(evil)], runs)
    parsed = Parsed(page)
    assert not parsed.tags("script") and not parsed.tags("img")
    assert (
        evil in parsed.text
        and '<img src=x onerror="alert(1)">' in parsed.text
        and "&amp; </pre>" in parsed.text
    )
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    sections = [s for s in parsed.tags("section") if s.get("data-task") == evil]
    assert sections and sections[0]["id"] == "task-_script_x__script_"


def test_no_secret_is_shown_the_masker_applies_to_every_text() -> None:
    runs = {"home": [run(5, Status.FAILED, tail=(f"password {CANARY} refused",))]}
    page = render([task("home")], runs, warnings=[f"task home: damaged {CANARY}"])
    assert CANARY not in page
    assert "password *** refused" in Parsed(page).text and "damaged ***" in Parsed(page).text


def test_an_empty_history_renders_with_its_plot_saying_so() -> None:
    parsed = Parsed(render([task("home")], {}))
    assert [row["data-state"] for row in parsed.tags("tr") if "data-task" in row] == ["never run"]
    assert "no runs yet" in parsed.text and not parsed.points()
    no_tasks = Parsed(status_page.page([], {}, now=NOW, zone=UTC, mask=str))
    assert "No task is defined." in no_tasks.text


def test_warnings_of_a_damaged_history_are_on_the_page() -> None:
    warning = "task home: 1 unreadable run record(s) in /state/runs/home passed over (move or delete them)"
    parsed = Parsed(render([task("home")], {"home": [run(5)]}, warnings=[warning]))
    assert warning in parsed.text
    assert [d for d in parsed.tags("div") if d.get("role") == "alert"]


@pytest.mark.parametrize(
    ("header", "prefix"),
    [
        ("/backups", "/backups"),
        ("/backups/", "/backups"),
        ("/ops/backup-status", "/ops/backup-status"),
        (None, ""),
        ("", ""),
        ("/", ""),
        ("https://evil.example/x", ""),
        ("//evil.example", ""),
        ("/a/../b", ""),
        ('/x"><script>', ""),
        ("backups", ""),
        ("/a b", ""),
    ],
)
def test_x_forwarded_prefix_is_a_plain_path_or_ignored(header: str | None, prefix: str) -> None:
    assert status_page.forwarded_prefix(header) == prefix


def test_links_carry_the_prefix_and_a_written_page_has_none() -> None:
    parsed = Parsed(render([task("home")], {}, prefix="/backups/"))
    hrefs = [a["href"] for a in parsed.tags("a")]
    assert hrefs == ["/backups/", "/backups/metrics", "/backups/#task-home"]
    bad = Parsed(render([task("home")], {}, prefix='"><script>x</script>'))
    assert [a["href"] for a in bad.tags("a")] == ["/", "/metrics", "/#task-home"] and not bad.tags("script")
    written = Parsed(render([task("home")], {}, served=False))
    assert [a["href"] for a in written.tags("a")] == ["#task-home"]


def test_the_page_refreshes_itself_and_forbids_scripts() -> None:
    metas = Parsed(render([task("home")], {})).tags("meta")
    assert {"http-equiv": "refresh", "content": str(status_page.REFRESH_SECONDS)} in metas
    policy = [m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert policy == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_thousands_of_runs_draw_the_newest_and_stay_fast() -> None:
    runs = [
        run(10_000 - i, Status.FAILED if i % 7 == 0 else Status.SUCCEEDED, added=i) for i in range(10_000)
    ]
    started = time.perf_counter()
    page = render([task("home")], {"home": runs})
    elapsed = time.perf_counter() - started
    points = Parsed(page).points()
    durations = points[: status_page.PLOT_RUNS]
    assert len(points) == 3 * status_page.PLOT_RUNS  # duration, bytes added, target size
    assert [p["data-started"] for p in durations] == [
        r.started.isoformat() for r in runs[-status_page.PLOT_RUNS :]
    ]
    assert len(page) < 1_000_000
    print(f"10,000 runs rendered in {elapsed * 1000:.0f} ms, {len(page)} bytes")


def test_a_plot_s_axes_are_labelled_and_its_marks_distinct() -> None:
    points = [
        Point(NOW, 2.0, "succeeded", "a"),
        Point(NOW + timedelta(hours=2), 8.0, "failed", "b"),
        Point(NOW + timedelta(hours=4), None, "lost", "c <lost>"),
        Point(NOW + timedelta(hours=6), 1.0, "interrupted", "d"),
    ]
    parsed = Parsed(svg_plot("a plot", points, lambda v: f"{v:g} s"))
    labels = [t for t in parsed.texts if t.strip()]
    assert labels[:4] == ["a plot", "0 s", "5 s", "10 s"]  # the top: 10, the next round value above 8
    assert labels[4:7] == ["05-13 10:20", "05-13 13:20", "05-13 16:20"]
    assert "c <lost>" in labels
    assert [p["class"] for p in parsed.points()] == ["pt ok", "pt failed", "pt lost", "pt interrupted"]
    assert {"circle", "path", "rect", "polyline"} <= {tag for tag, _ in parsed.elements}
