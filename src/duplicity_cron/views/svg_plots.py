"""Small SVG plots of a task's run history for the status page: one mark per run (x its start, y its
value), drawn on the server (no script, no font from elsewhere), each mark carrying its run's data
(`data-started`, `data-value`, `data-status`) and a `<title>` tooltip.

Pure: points in, SVG text out. Every text is escaped; the caller masks it first.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WIDTH, HEIGHT = 380, 150
LEFT, RIGHT, TOP, BOTTOM = 62, 10, 22, 24  # the margins around the plotting area: tick labels, title
_FAILED = ("failed", "timed_out")


@dataclass(frozen=True)
class Point:
    """One run on a plot. `value` None: the run measured nothing (it failed first, it was lost); its mark
    sits on the x axis."""

    started: datetime
    value: float | None
    status: str  # a `model.Status` value
    tooltip: str  # masked by the caller


def _mark_kind(point: Point) -> str:
    if point.status == "lost":
        return "lost"
    if point.status in _FAILED:
        return "failed"
    if point.status == "interrupted":
        return "interrupted"
    return "ok"


def _nice_top(largest: float) -> float:
    """The y axis' top: 1, 2, 2.5 or 5 times a power of ten, at or above `largest`."""
    if largest <= 0:
        return 1.0
    power = 10.0 ** (len(str(int(largest))) - 1) if largest >= 1 else 1.0
    while power > largest:  # under 1: smaller powers
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= largest:
            return step * power
    return 10 * power


def _data_value(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 3))


def _time_label(moment: datetime, span: timedelta) -> str:
    return moment.strftime("%H:%M:%S" if span < timedelta(hours=1) else "%m-%d %H:%M")


def _mark(kind: str, x: float, y: float) -> str:
    if kind == "failed":  # a cross
        return (
            f'<path class="m-failed" d="M{x - 4:.1f} {y - 4:.1f}L{x + 4:.1f} {y + 4:.1f}'
            f'M{x - 4:.1f} {y + 4:.1f}L{x + 4:.1f} {y - 4:.1f}"/>'
        )
    if kind == "lost":  # a hollow square
        return f'<rect class="m-lost" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"/>'
    if kind == "interrupted":  # a hollow circle
        return f'<circle class="m-interrupted" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'
    return f'<circle class="m-ok" cx="{x:.1f}" cy="{y:.1f}" r="3"/>'


def svg_plot(title: str, points: Sequence[Point], unit: Callable[[float], str]) -> str:
    """A plot of `points` (oldest first), `unit` formatting the y axis' ticks; "no runs yet" when empty.
    The x axis' labels are the points' times as given: pass them in the page's time zone."""
    head = (
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}" '
        f'data-plot="{html.escape(title)}" data-points="{len(points)}">'
        f'<text class="t" x="{LEFT}" y="14">{html.escape(title)}</text>'
    )
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base_y = TOP + inner_h
    frame = f'<path class="axis" d="M{LEFT} {TOP}V{base_y}H{WIDTH - RIGHT}"/>'
    if not points:
        empty = f'<text class="none" x="{LEFT + inner_w / 2}" y="{TOP + inner_h / 2}">no runs yet</text>'
        return head + frame + empty + "</svg>"
    first, last = points[0].started, points[-1].started
    span = last - first
    if span <= timedelta(0):  # one run, or all at once: centred
        first, last, span = first - timedelta(minutes=30), last + timedelta(minutes=30), timedelta(hours=1)
    top = _nice_top(max((p.value for p in points if p.value is not None), default=0.0))

    def x_of(moment: datetime) -> float:
        return LEFT + inner_w * ((moment - first) / span)

    def y_of(value: float | None) -> float:
        return base_y - inner_h * (max(value, 0.0) / top if value is not None else 0.0)

    parts = [head, frame]
    for fraction in (0.0, 0.5, 1.0):  # y ticks: 0, half, top
        y = base_y - inner_h * fraction
        parts.append(
            f'<path class="grid" d="M{LEFT} {y:.1f}H{WIDTH - RIGHT}"/>'
            f'<text class="yl" x="{LEFT - 4}" y="{y + 3.5:.1f}">{html.escape(unit(top * fraction))}</text>'
        )
    for fraction, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):  # x ticks
        moment = first + span * fraction
        parts.append(
            f'<text class="xl" x="{LEFT + inner_w * fraction:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{html.escape(_time_label(moment, span))}</text>"
        )
    line = [f"{x_of(p.started):.1f},{y_of(p.value):.1f}" for p in points if p.value is not None]
    if len(line) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(line)}"/>')
    for point in points:
        kind = _mark_kind(point)
        parts.append(
            f'<g class="pt {kind}" data-started="{point.started.astimezone(UTC).isoformat()}" '
            f'data-value="{_data_value(point.value)}" data-status="{html.escape(point.status)}">'
            f"<title>{html.escape(point.tooltip)}</title>"
            f"{_mark(kind, x_of(point.started), y_of(point.value))}</g>"
        )
    parts.append("</svg>")
    return "".join(parts)
