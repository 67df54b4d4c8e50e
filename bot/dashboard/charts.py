"""Charts as server-side SVG: no JavaScript, no CDN, printable, and readable by screen readers.

Every chart is an <svg role="img"> with a <title> and <desc>; every bar or point carries its own
<title> (a tooltip with the exact number) and, when given an href, is a link to the
conversations behind it. All text passes through `escape`, so a customer's words cannot become
markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.dashboard.svg import (
    FONT,
    PALETTE,
    Bar,
    Frame,
    Series,
    at,
    chart_frame,
    escape,
    fmt_default,
    linked,
    open_svg,
    tooltip,
    value_range,
    x_label_every,
)

__all__ = ["Bar", "Series", "bar_chart", "grouped_bar_chart", "hbar_chart", "line_chart", "stacked_bar_chart"]


def _series_frame(
    title: str,
    desc: str,
    kind: str,
    series: Sequence[Series],
    y_range: tuple[float, float] | None,
    fmt: Callable[[float], str],
    size: tuple[int, int],
) -> tuple[Frame, list[str]]:
    """The frame of a chart of named series: the y axis spans all their values, the legend names them."""
    values = [v for s in series for v in s.values]
    legend = [s.name for s in series]
    return chart_frame(
        title, desc, kind, values, legend=legend, y_range=y_range, fmt=fmt, width=size[0], height=size[1]
    )


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_range: tuple[float, float] | None = None,
    fmt: Callable[[float], str] = fmt_default,
    width: int = 640,
    height: int = 240,
) -> str:
    """One line per series over the x labels; a missing value (None) leaves a gap."""
    frame, parts = _series_frame(title, desc, "line", series, y_range, fmt, (width, height))
    y_of, plot_w = frame.y_of, frame.plot_w
    step = plot_w / max(1, len(x_labels))

    def x_of(index: int) -> float:
        return frame.left + step * (index + 0.5)

    every = x_label_every(len(x_labels), plot_w // 60)
    for index, label in enumerate(x_labels):
        if index % every == 0:
            parts.append(frame.x_label(x_of(index), label))
    for number, line in enumerate(series):
        parts += _line_marks(line, PALETTE[number % len(PALETTE)], x_labels, x_of, y_of, fmt)
    if not any(v is not None for s in series for v in s.values):
        x, y = frame.left + plot_w / 2, frame.top + frame.plot_h / 2
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {FONT}>no data</text>')
    parts.append(frame.tail)
    return "".join(parts)


def _line_marks(
    line: Series,
    colour: str,
    x_labels: Sequence[str],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
    fmt: Callable[[float], str],
) -> list[str]:
    """One series of a line chart: a polyline per run of present values, then a dot per value."""
    parts: list[str] = []
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
        tip = tooltip(f"{line.name}, {x_labels[index]}", fmt(value), at(line.notes, index, ""))
        dot = (
            f'<circle class="point" cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="4" fill="{colour}">'
            f"<title>{escape(tip)}</title></circle>"
        )
        parts.append(linked(dot, at(line.hrefs, index)))
    return parts


def bar_chart(
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    fmt: Callable[[float], str] = fmt_default,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 220,
    colour: str = PALETTE[0],
    label: Callable[[float], str] | None = None,
) -> str:
    """Vertical bars, one per label (distributions), each with its value over it (`label`, else `fmt`)."""
    frame, parts = chart_frame(
        title, desc, "bar", [b.value for b in bars], legend=None, y_range=y_range, fmt=fmt, width=width, height=height
    )
    step = frame.plot_w / max(1, len(bars))
    for index, bar in enumerate(bars):
        x = frame.left + step * index + step * 0.15
        parts.append(frame.x_label(x + step * 0.35, bar.label))
        if bar.value is None:
            continue
        y0, y1 = frame.y_of(max(frame.low, 0)), frame.y_of(bar.value)
        shown = (label or fmt)(bar.value)
        tip = tooltip(bar.label, shown, bar.note)
        rect = (
            f'<rect class="bar" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{step * 0.7:.1f}" '
            f'height="{max(abs(y0 - y1), 0.5):.1f}" fill="{bar.colour or colour}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(linked(rect, bar.href))
        # The value over its bar: a distribution reads without hovering.
        parts.append(
            f'<text class="value" x="{x + step * 0.35:.1f}" y="{min(y0, y1) - 3:.1f}" text-anchor="middle" {FONT}>'
            f"{escape(shown)}</text>"
        )
    parts.append(frame.tail)
    return "".join(parts)


def hbar_chart(
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    fmt: Callable[[float], str] = fmt_default,
    x_range: tuple[float, float] | None = None,
    width: int = 640,
    label_width: int = 220,
    colour: str = PALETTE[0],
) -> str:
    """Horizontal bars for long labels (topics, reasons, questions); negative values go left of zero."""
    row = 22
    height = max(60, 24 + row * len(bars) + 12)
    head, tail = open_svg(title, desc, width, height, "hbar")
    left, right, top = label_width, 60, 12
    plot_w = width - left - right
    low, high = value_range([b.value for b in bars], x_range)

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
        tip = tooltip(bar.label, fmt(bar.value), bar.note)
        rect = (
            f'<rect class="bar" x="{min(zero, x1):.1f}" y="{y + 3}" width="{max(abs(x1 - zero), 0.5):.1f}" '
            f'height="{row - 6}" fill="{bar.colour or colour}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(linked(rect, bar.href))
        parts.append(f'<text x="{max(zero, x1) + 4:.1f}" y="{y + 15}" {FONT}>{escape(fmt(bar.value))}</text>')
    parts.append(tail)
    return "".join(parts)


def grouped_bar_chart(
    title: str,
    desc: str,
    groups: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = fmt_default,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 240,
) -> str:
    """Bars side by side: for each group, one bar per series (recovered vs not vs no complaint)."""
    frame, parts = _series_frame(title, desc, "grouped", series, y_range, fmt, (width, height))
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
            tip = tooltip(f"{group}, {line.name}", fmt(value), at(line.notes, g, ""))
            rect = (
                f'<rect class="bar" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bar_w:.1f}" '
                f'height="{max(abs(y0 - y1), 0.5):.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            parts.append(linked(rect, at(line.hrefs, g)))
    parts.append(frame.tail)
    return "".join(parts)


def stacked_bar_chart(
    title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 640, height: int = 220
) -> str:
    """Counts stacked per label (e.g. escalations open and closed per reason)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    frame, parts = chart_frame(
        title,
        desc,
        "stacked",
        totals,
        legend=[s.name for s in series],
        y_range=(0, max(totals + [1])),
        fmt=fmt_default,
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
            tip = tooltip(f"{label}, {line.name}", fmt_default(value))
            rect = (
                f'<rect class="bar" x="{x:.1f}" y="{y_top:.1f}" width="{step * 0.6:.1f}" '
                f'height="{y_bottom - y_top:.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            parts.append(linked(rect, at(line.hrefs, index)))
            base += value
    parts.append(frame.tail)
    return "".join(parts)
