"""The building blocks the SVG charts share: palette, escaping, the data classes, and a chart's
frame (svg head and tail, value axis, legend, the labels under the plot)."""

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
    colour: str | None = None  # None: the chart's colour


def fmt_default(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def open_svg(title: str, desc: str, width: int, height: int, kind: str) -> tuple[str, str]:
    number = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="chart{number}-title chart{number}-desc">'
        f'<title id="chart{number}-title">{escape(title)}</title>'
        f'<desc id="chart{number}-desc">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def linked(element: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{element}</a>' if href else element


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    step = (high - low) / count
    return [low + i * step for i in range(count + 1)]


def value_range(values: Sequence[float | None], fixed: tuple[float, float] | None) -> tuple[float, float]:
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


def x_label_every(count: int, room: int) -> int:
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
class Frame:
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


def chart_frame(
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
) -> tuple[Frame, list[str]]:
    """The outline of a chart over labels, with a legend of the series names unless legend is None;
    returns it and the markup so far (head, axis, legend)."""
    left, right, bottom = 48, 12, 36
    if legend is None:
        keys, top = "", 16
    else:
        keys, top = _legend(legend, left, width)
        height += top - 24
    head, tail = open_svg(title, desc, width, height, kind)
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = value_range(values, y_range)
    axis, y_of = _axis(low, high, left, top, plot_w, plot_h, fmt)
    frame = Frame(head, tail, left, top, plot_w, plot_h, low, high, y_of, height - bottom + 16)
    return frame, [head, axis, keys]


def tooltip(subject: str, value: str, note: str = "") -> str:
    return f"{subject}: {value}" + (f" ({note})" if note else "")


def at(values: Sequence, index: int, default=None):
    """The index-th of the optional per-value hrefs or notes."""
    return values[index] if index < len(values) else default
