"""Charts as server-side SVG: no JavaScript, no CDN, printable, and readable by screen readers.

Every chart is an <svg role="img"> with a <title> and <desc>; every bar or point carries its own
<title> (a tooltip with the exact number) and, when given an href, is a link to the
conversations behind it. All text passes through `escape`, so a customer's words cannot become
markup.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape as _escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D00", "#000000")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_ids = itertools.count(1)


def escape(text) -> str:
    return _escape(str(text), quote=True)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    hrefs: Sequence[str | None] = ()
    notes: Sequence[str] = ()  # extra tooltip text per value, e.g. "n=12"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    href: str | None = None
    note: str = ""


def _fmt_default(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _open(title: str, desc: str, width: int, height: int, kind: str) -> tuple[str, str]:
    number = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="chart{number}-title chart{number}-desc">'
        f'<title id="chart{number}-title">{escape(title)}</title>'
        f'<desc id="chart{number}-desc">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _linked(element: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{element}</a>' if href else element


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    step = (high - low) / count
    return [low + i * step for i in range(count + 1)]


def _range(values: Sequence[float | None], fixed: tuple[float, float] | None) -> tuple[float, float]:
    if fixed:
        return fixed
    present = [v for v in values if v is not None]
    high = max(present + [0.0])
    low = min(present + [0.0])
    if all(float(v).is_integer() for v in present):
        # Counts: whole-number ticks (the axis has four steps).
        high = 4 * math.ceil(high / 4) if high > 0 else high
        low = -4 * math.ceil(-low / 4) if low < 0 else low
    if high == low:
        high = low + 1
    return low, high


def _x_label_every(count: int, room: int) -> int:
    return max(1, -(-count // max(1, room)))


def _legend(names: Sequence[str], x: int, width: int) -> tuple[str, int]:
    """Colour keys in rows that fit the width; returns the markup and the height it takes."""
    parts, offset, row = [], 0, 0
    for index, name in enumerate(names):
        item_width = 24 + 7 * len(name)
        if offset and x + offset + item_width > width:
            offset, row = 0, row + 1
        y = 14 + 16 * row
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<g class="legend-item"><rect x="{x + offset}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + offset + 14}" y="{y}" {FONT}>{escape(name)}</text></g>'
        )
        offset += item_width
    return "".join(parts), (16 * (row + 1) + 8 if names else 16)


def _axis(
    low: float, high: float, left: int, top: int, plot_w: int, plot_h: int, fmt: Callable[[float], str]
) -> tuple[str, Callable[[float], float]]:
    def y_of(value: float) -> float:
        return top + plot_h - (value - low) / (high - low) * plot_h

    parts = []
    for tick in _ticks(low, high):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{escape(fmt(tick))}</text>')
    if low < 0 < high:
        y = y_of(0)
        parts.append(f'<line class="zero" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#888"/>')
    return "".join(parts), y_of


@dataclass(frozen=True)
class _Frame:
    """A chart's outline: the svg's head and tail, the plot area and its value axis."""

    head: str
    tail: str
    left: int
    top: int
    plot_w: int
    plot_h: int
    low: float
    high: float
    y_of: Callable[[float], float]
    label_y: int  # the baseline of the labels under the plot

    def x_label(self, x: float, label: str) -> str:
        return f'<text x="{x:.1f}" y="{self.label_y}" text-anchor="middle" {FONT}>{escape(label)}</text>'


def _frame(
    title: str,
    desc: str,
    kind: str,
    values: Sequence[float | None],
    *,
    legend: Sequence[str] | None,
    y_range: tuple[float, float] | None,
    fmt: Callable[[float], str],
    width: int,
    height: int,
) -> tuple[_Frame, list[str]]:
    """The outline of a chart over labels, with a legend of the series names unless legend is None;
    returns it and the markup so far (head, axis, legend)."""
    left, right, bottom = 48, 12, 36
    if legend is None:
        keys, top = "", 16
    else:
        keys, top = _legend(legend, left, width)
        height += top - 24
    head, tail = _open(title, desc, width, height, kind)
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = _range(values, y_range)
    axis, y_of = _axis(low, high, left, top, plot_w, plot_h, fmt)
    frame = _Frame(head, tail, left, top, plot_w, plot_h, low, high, y_of, height - bottom + 16)
    return frame, [head, axis, keys]


def _tip(subject: str, value: str, note: str = "") -> str:
    return f"{subject}: {value}" + (f" ({note})" if note else "")


def _at(values: Sequence, index: int, default=None):
    """The index-th of the optional per-value hrefs or notes."""
    return values[index] if index < len(values) else default


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_range: tuple[float, float] | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    width: int = 640,
    height: int = 240,
) -> str:
    """One line per series over the x labels; a missing value (None) leaves a gap."""
    frame, parts = _frame(
        title,
        desc,
        "line",
        [v for s in series for v in s.values],
        legend=[s.name for s in series],
        y_range=y_range,
        fmt=fmt,
        width=width,
        height=height,
    )
    y_of, plot_w = frame.y_of, frame.plot_w
    step = plot_w / max(1, len(x_labels))

    def x_of(index: int) -> float:
        return frame.left + step * (index + 0.5)

    every = _x_label_every(len(x_labels), plot_w // 60)
    for index, label in enumerate(x_labels):
        if index % every == 0:
            parts.append(frame.x_label(x_of(index), label))
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        run: list[str] = []
        paths = []
        for index, value in enumerate(line.values):
            if value is None:
                if len(run) > 1:
                    paths.append(run)
                run = []
                continue
            run.append(f"{x_of(index):.1f},{y_of(value):.1f}")
        if len(run) > 1:
            paths.append(run)
        for points in paths:
            parts.append(
                f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
            )
        for index, value in enumerate(line.values):
            if value is None:
                continue
            tip = _tip(f"{line.name}, {x_labels[index]}", fmt(value), _at(line.notes, index, ""))
            dot = (
                f'<circle class="point" cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="4" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
            parts.append(_linked(dot, _at(line.hrefs, index)))
    if not any(v is not None for s in series for v in s.values):
        x, y = frame.left + plot_w / 2, frame.top + frame.plot_h / 2
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {FONT}>no data</text>')
    parts.append(frame.tail)
    return "".join(parts)


def bar_chart(
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    fmt: Callable[[float], str] = _fmt_default,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 220,
    colour: str = PALETTE[0],
) -> str:
    """Vertical bars, one per label (distributions)."""
    frame, parts = _frame(
        title, desc, "bar", [b.value for b in bars], legend=None, y_range=y_range, fmt=fmt, width=width, height=height
    )
    step = frame.plot_w / max(1, len(bars))
    for index, bar in enumerate(bars):
        x = frame.left + step * index + step * 0.15
        parts.append(frame.x_label(x + step * 0.35, bar.label))
        if bar.value is None:
            continue
        y0, y1 = frame.y_of(max(frame.low, 0)), frame.y_of(bar.value)
        tip = _tip(bar.label, fmt(bar.value), bar.note)
        rect = (
            f'<rect class="bar" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{step * 0.7:.1f}" '
            f'height="{max(abs(y0 - y1), 0.5):.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(_linked(rect, bar.href))
    parts.append(frame.tail)
    return "".join(parts)


def hbar_chart(
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    fmt: Callable[[float], str] = _fmt_default,
    x_range: tuple[float, float] | None = None,
    width: int = 640,
    label_width: int = 220,
    colour: str = PALETTE[0],
) -> str:
    """Horizontal bars for long labels (topics, reasons, questions); negative values go left of zero."""
    row = 22
    height = max(60, 24 + row * len(bars) + 12)
    head, tail = _open(title, desc, width, height, "hbar")
    left, right, top = label_width, 60, 12
    plot_w = width - left - right
    low, high = _range([b.value for b in bars], x_range)

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * plot_w

    parts = [head]
    zero = x_of(max(low, min(0.0, high)))
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{top + row * len(bars)}" stroke="#888"/>')
    for index, bar in enumerate(bars):
        y = top + row * index
        label = bar.label if len(bar.label) <= 36 else bar.label[:35] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" {FONT}>{escape(label)}</text>')
        if bar.value is None:
            parts.append(f'<text x="{zero + 4:.1f}" y="{y + 15}" {FONT}>n/a</text>')
            continue
        x1 = x_of(bar.value)
        tip = _tip(bar.label, fmt(bar.value), bar.note)
        rect = (
            f'<rect class="bar" x="{min(zero, x1):.1f}" y="{y + 3}" width="{max(abs(x1 - zero), 0.5):.1f}" '
            f'height="{row - 6}" fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(_linked(rect, bar.href))
        parts.append(f'<text x="{max(zero, x1) + 4:.1f}" y="{y + 15}" {FONT}>{escape(fmt(bar.value))}</text>')
    parts.append(tail)
    return "".join(parts)


def grouped_bar_chart(
    title: str,
    desc: str,
    groups: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = _fmt_default,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 240,
) -> str:
    """Bars side by side: for each group, one bar per series (recovered vs not vs no complaint)."""
    frame, parts = _frame(
        title,
        desc,
        "grouped",
        [v for s in series for v in s.values],
        legend=[s.name for s in series],
        y_range=y_range,
        fmt=fmt,
        width=width,
        height=height,
    )
    y_of, low, high = frame.y_of, frame.low, frame.high
    step = frame.plot_w / max(1, len(groups))
    bar_w = step * 0.8 / max(1, len(series))
    for g, group in enumerate(groups):
        parts.append(frame.x_label(frame.left + step * (g + 0.5), group))
        for number, line in enumerate(series):
            value = line.values[g]
            x = frame.left + step * g + step * 0.1 + bar_w * number
            if value is None:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y_of(max(low, 0)) - 4:.1f}" text-anchor="middle" '
                    f"{FONT}>n/a</text>"
                )
                continue
            y0, y1 = y_of(max(low, min(0.0, high))), y_of(value)
            tip = _tip(f"{group}, {line.name}", fmt(value), _at(line.notes, g, ""))
            rect = (
                f'<rect class="bar" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bar_w:.1f}" '
                f'height="{max(abs(y0 - y1), 0.5):.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            parts.append(_linked(rect, _at(line.hrefs, g)))
    parts.append(frame.tail)
    return "".join(parts)


def stacked_bar_chart(
    title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 640, height: int = 220
) -> str:
    """Counts stacked per label (e.g. escalations open and closed per reason)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    frame, parts = _frame(
        title,
        desc,
        "stacked",
        totals,
        legend=[s.name for s in series],
        y_range=(0, max(totals + [1])),
        fmt=_fmt_default,
        width=width,
        height=height,
    )
    y_of = frame.y_of
    step = frame.plot_w / max(1, len(labels))
    for index, label in enumerate(labels):
        x = frame.left + step * index + step * 0.2
        parts.append(frame.x_label(x + step * 0.3, label))
        base = 0.0
        for number, line in enumerate(series):
            value = line.values[index] or 0
            if not value:
                continue
            y_top, y_bottom = y_of(base + value), y_of(base)
            tip = _tip(f"{label}, {line.name}", _fmt_default(value))
            rect = (
                f'<rect class="bar" x="{x:.1f}" y="{y_top:.1f}" width="{step * 0.6:.1f}" '
                f'height="{y_bottom - y_top:.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            parts.append(_linked(rect, _at(line.hrefs, index)))
            base += value
    parts.append(frame.tail)
    return "".join(parts)
