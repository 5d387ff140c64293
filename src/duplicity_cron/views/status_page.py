"""The status page: what `status` shows, as one HTML page with plots over each task's run history,
served at `/` of the metrics port and written by `status --html FILE`.

Pure: the `status` entries (`views.status.status_entry`) and each task's runs in, HTML text out. No
script, no font or style from elsewhere (inline CSS, SVG drawn here), a `<meta>` refresh. Every text
from the state or the configuration is masked (`mask`, the environment's masker) and then escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from ..config.durations import format_duration, format_precise
from ..model import RunResult, Status, printable
from .contents import contents_text, format_bytes
from .listing import describe_schedule
from .svg_plots import Point, svg_plot
from .text import zone_name

# The newest runs drawn per plot: thousands of records stay a page of a few hundred KiB, rendered in
# milliseconds (docs/how-to/status-page.md gives the measure).
PLOT_RUNS = 200
REFRESH_SECONDS = 60
# X-Forwarded-Prefix: a path of plain segments (`/backups`, `/ops/backup-status`); anything else ignored.
_PREFIX = re.compile(r"(?:/[A-Za-z0-9._~-]+)+/?")
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:14px 24px}header h1{font-size:20px;margin:0 0 2px}
header p{margin:0;color:#c4cad4}header a{color:#9cc7ff}main{padding:16px 24px;max-width:1240px}
table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0002}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.t a{font-weight:600;color:#1d4ed8;text-decoration:none}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.s-succeeded{background:#15803d}.s-failed,.s-timed_out,.s-lost{background:#b91c1c}
.s-interrupted,.s-skipped{background:#b45309}.s-never{background:#6b7280}
section.task{background:#fff;margin:18px 0;padding:12px 16px;box-shadow:0 1px 2px #0002}
section.task h2{font-size:17px;margin:0 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 10px}dt{color:#5b6472}
dd{margin:0}.plots{display:flex;flex-wrap:wrap;gap:10px}
.plot{background:#fbfbfc;border:1px solid #e3e6ea}.plot .t{font-size:12px;font-weight:600;fill:#1d2430}
.plot .axis{stroke:#8a93a0;fill:none}.plot .grid{stroke:#eceef1}.plot .line{stroke:#2563eb;fill:none;
stroke-width:1.5}.plot .yl{font-size:10px;fill:#5b6472;text-anchor:end}.plot .xl{font-size:10px;fill:#5b6472}
.plot .none{font-size:12px;fill:#8a93a0;text-anchor:middle}.m-ok{fill:#2563eb}
.m-failed{stroke:#b91c1c;stroke-width:2.2}.m-lost{fill:none;stroke:#7c3aed;stroke-width:2}
.m-interrupted{fill:none;stroke:#b45309;stroke-width:1.8}
.legend{font-size:12px;color:#5b6472;margin:6px 0 0}
.warnings{background:#fff7ed;border-left:4px solid #b45309;padding:8px 14px;margin:0 0 16px}
.warnings li{margin:2px 0}details{margin-top:8px}summary{cursor:pointer;color:#374151}
pre{background:#1d2430;color:#e5e7eb;padding:8px 10px;overflow-x:auto;font-size:12px;margin:6px 0}
footer{color:#6b7280;font-size:12px;padding:8px 24px 20px}
"""


def forwarded_prefix(header: str | None) -> str:
    """The path a reverse proxy serves the page under (`X-Forwarded-Prefix`), without its trailing slash;
    "" for none, or for anything but a plain path (a URL, `..`, quotes: ignored)."""
    if not header or not _PREFIX.fullmatch(header) or any(s in ("..", ".") for s in header.split("/")):
        return ""
    return header.rstrip("/")


def _anchor(task: str) -> str:
    return "task-" + re.sub(r"[^A-Za-z0-9_.-]", "_", task)


def _state(run: Mapping[str, Any] | None) -> tuple[str, str]:
    """(css class, text) of a task's last run."""
    if run is None:
        return "s-never", "never run"
    return f"s-{re.sub(r'[^a-z_]', '', str(run['status']))}", str(run["status"])


def page(
    entries: Sequence[Mapping[str, Any]],
    runs: Mapping[str, Sequence[RunResult]],
    *,
    now: datetime,
    zone: tzinfo,
    mask: Callable[[str], str],
    warnings: Sequence[str] = (),
    prefix: str = "",
    version: str = "",
    refresh: int | None = REFRESH_SECONDS,
    served: bool = True,
) -> str:
    """The page: a table of the tasks, warnings (a damaged history), then each task with its plots.
    `prefix` is the request's X-Forwarded-Prefix (validated here); `served`: links to the page and
    /metrics (a written file has neither)."""

    def masked(value: object) -> str:
        return mask(printable(str(value)))

    def text(value: object) -> str:
        return html.escape(masked(value))

    prefix = forwarded_prefix(prefix)
    refresh_meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    base = html.escape(prefix)
    links = f' · <a href="{base}/">this page</a> · <a href="{base}/metrics">metrics</a>' if served else ""
    refreshed = f", refreshed every {int(refresh)} s" if refresh else ""
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        refresh_meta,
        f"<title>duplicity-cron status</title><style>{_STYLE}</style></head><body>",
        "<header><h1>duplicity-cron status</h1>",
        f"<p>at {text(_time(now, zone))} ({text(zone_name(zone))}){refreshed}{links}</p>",
        "</header><main>",
    ]
    if warnings:
        items = "".join(f"<li>{text(warning)}</li>" for warning in warnings)
        parts.append(f'<div class="warnings" role="alert"><strong>Warnings</strong><ul>{items}</ul></div>')
    parts.append(_summary(entries, text, prefix if served else None))
    for entry in entries:
        parts.append(_section(entry, runs.get(entry["task"], ()), zone, text, masked))
    if not entries:
        parts.append("<p>No task is defined.</p>")
    footer = f"duplicity-cron {text(version)}" if version else "duplicity-cron"
    parts.append(f"</main><footer>{footer} · read-only page, drawn by the runner</footer></body></html>\n")
    return "".join(parts)


def _time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _short(iso: str | None) -> str:
    """`2026-01-02T03:04:05+01:00` as `2026-01-02 03:04:05`: the page says its time zone once."""
    return "-" if not iso else iso[:19].replace("T", " ")


def _summary(entries: Sequence[Mapping[str, Any]], text: Callable[[object], str], prefix: str | None) -> str:
    """One row a task; its name links to its section (under the page's path when served)."""
    head = ("Task", "State", "Schedule", "Next run", "Last run", "Last success", "Last drill", "Target")
    rows = ['<table class="tasks"><thead><tr>', *(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for entry in entries:
        css, state = _state(entry["last_run"])
        drill = entry["last_verify"]
        drill_cell = "-" if drill is None else f"{text(drill['status'])} {text(_short(drill['ended']))}"
        target = entry.get("target")
        target_cell = "-" if target is None else text(_target_short(target))
        last_run = entry["last_run"]
        page_path = "" if prefix is None else html.escape(prefix) + "/"
        link = f'<a href="{page_path}#{_anchor(entry["task"])}">{text(entry["task"])}</a>'
        rows.append(
            f'<tr data-task="{text(entry["task"])}" data-state="{text(state)}"><td class="t">{link}</td>'
            f'<td><span class="badge {css}">{text(state)}</span></td>'
            f"<td>{text(describe_schedule(dict(entry)))}</td>"
            f"<td>{text(_short(entry['next_run']))}</td>"
            f"<td>{text(_short(last_run['ended']) if last_run else 'never')}</td>"
            f"<td>{text(_short(entry['last_success']) if entry['last_success'] else 'never')}</td>"
            f"<td>{drill_cell}</td><td>{target_cell}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _target_short(target: Mapping[str, Any]) -> str:
    if not target["chain_count"]:
        return "no backup chain"
    size = "" if target.get("size_bytes") is None else f", {format_bytes(target['size_bytes'])}"
    return (
        f"{target['chain_count']} chain(s), {target['incrementals_since_last_full']} incremental(s) "
        f"since the last full{size}"
    )


def _section(
    entry: Mapping[str, Any],
    runs: Sequence[RunResult],
    zone: tzinfo,
    text: Callable[[object], str],
    masked: Callable[[object], str],
) -> str:
    task = entry["task"]
    css, state = _state(entry["last_run"])
    facts: list[tuple[str, str]] = [
        ("schedule", text(describe_schedule(dict(entry)))),
        ("next run", text(_short(entry["next_run"]))),
        ("last run", _run_fact(entry["last_run"], text)),
        ("last success", text(_short(entry["last_success"]) if entry["last_success"] else "never")),
    ]
    if entry["skipped_since_last_run"]:
        facts.append(("skipped", text(f"{entry['skipped_since_last_run']} occurrence(s) since the last run")))
    if entry["verify_schedule"] or entry["last_verify"]:
        facts.append(("drills", text(entry["verify_schedule"] or "on demand (verify TASK)")))
        facts.append(("last drill", _drill_fact(entry["last_verify"], text)))
        facts.append(("last verified", text(_short(entry["last_verified"]) or "never")))
    if entry.get("target") is not None:
        facts.append(("target holds", text(contents_text(dict(entry["target"])))))
    if entry.get("last_restore"):
        restore = entry["last_restore"]
        took = restore["recovery_seconds"]
        back = f", the data back in {format_precise(took)}" if took is not None else ""
        facts.append(("last restore", text(f"{restore['status']} {_short(restore['ended'])}{back}")))
    listed = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    parts = [
        f'<section class="task" id="{_anchor(task)}" data-task="{text(task)}">',
        f'<h2>{text(task)} <span class="badge {css}">{text(state)}</span></h2><dl>{listed}</dl>',
        f'<div class="plots">{"".join(_plots(entry, runs, zone, masked))}</div>',
        '<p class="legend">● succeeded · ✕ failed or timed out · □ lost (its runner died) · '
        f"○ interrupted; the newest {PLOT_RUNS} runs of each kind</p>",
    ]
    tail = entry["last_run"]["output_tail"] if entry["last_run"] else []
    if tail:
        lines = "\n".join(text(line) for line in tail)
        parts.append(f"<details><summary>output of the last run (tail)</summary><pre>{lines}</pre></details>")
    parts.append("</section>")
    return "".join(parts)


def _run_fact(run: Mapping[str, Any] | None, text: Callable[[object], str]) -> str:
    if run is None:
        return "never"
    failure = f" at step {run['failed_step']}" if run["failed_step"] else ""
    exit_code = f", exit {run['exit_code']}{failure}" if run["status"] != "succeeded" else ""
    return text(
        f"{run['status']} {_short(run['ended'])} in {format_duration(run['duration'])}{exit_code} "
        f"({run['trigger']})"
    )


def _drill_fact(drill: Mapping[str, Any] | None, text: Callable[[object], str]) -> str:
    if drill is None:
        return "never"
    back = drill.get("recovery_seconds")
    took = f", the data back in {format_precise(back)}" if back is not None else ""
    return text(f"{drill['status']} {_short(drill['ended'])}{took}: {drill['verdict'] or '-'}")


def _tooltip(run: RunResult, zone: tzinfo, what: str) -> str:
    failure = f" at step {run.failed_step}" if run.failed_step else ""
    return f"{_time(run.started, zone)}: {run.status}{failure}, {what}"


def _plots(
    entry: Mapping[str, Any], runs: Sequence[RunResult], zone: tzinfo, masked: Callable[[object], str]
) -> list[str]:
    """Duration of the backup runs; with a TARGET, what each added and what the target held after it
    (`RunResult.target_bytes`: retention's removals count); with drills, each drill's restore time."""
    backups = [run for run in runs if run.status.is_run and not run.trigger.is_drill][-PLOT_RUNS:]
    drills = [run for run in runs if run.status.is_run and run.trigger.is_drill][-PLOT_RUNS:]

    def point(run: RunResult, value: float | None, what: str) -> Point:
        return Point(run.started.astimezone(zone), value, str(run.status), masked(_tooltip(run, zone, what)))

    plots = [
        svg_plot(
            "duration of the runs",
            [
                point(run, None if run.status is Status.LOST else run.duration, format_duration(run.duration))
                for run in backups
            ],
            format_precise,
        )
    ]
    if entry.get("target") is not None or any(run.backup for run in backups):
        added, sizes = [], []
        for run in backups:
            value = run.backup.destination_change_bytes if run.backup and run.succeeded else None
            what = "nothing measured" if value is None else f"+{format_bytes(value)}"
            added.append(point(run, value, what))
            size = run.target_bytes
            held = "size unknown" if size is None else f"the target holds {format_bytes(size)}"
            sizes.append(point(run, size, held))
        plots.append(svg_plot("bytes added to the target", added, format_bytes))
        plots.append(svg_plot("target size (its chains, after the run)", sizes, format_bytes))
    if drills or entry["verify_schedule"]:
        restored = [
            point(run, run.recovery_seconds, "data not back" if run.recovery_seconds is None
                  else f"data back in {format_precise(run.recovery_seconds)}")
            for run in drills
        ]  # fmt: skip
        plots.append(svg_plot("restore time of the drills", restored, format_precise))
    return plots
