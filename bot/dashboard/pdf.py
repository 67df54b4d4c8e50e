"""The printable report as PDF, drawn with matplotlib (installed with Rasa; no browser needed).

Same numbers and charts as the HTML dashboard: they come from the same Dashboard object.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from feedback.metrics import Dashboard
from feedback.metrics.recovery_groups import RECOVERY_GROUPS

A4 = (8.27, 11.69)


def _values(points):
    return [p.value for p in points]


def _line(ax, board: Dashboard, series: dict, title: str, y_range, percent: bool = False) -> None:
    x = list(range(len(board.buckets)))
    for name, points in series.items():
        values = [float("nan") if v is None else v for v in _values(points)]
        ax.plot(x, values, marker="o", label=name)
    ax.set_title(title, fontsize=9)
    ax.set_ylim(*y_range)
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([b[5:] for b in board.buckets][::step], fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    if len(series) > 1:
        ax.legend(fontsize=6)
    ax.grid(alpha=0.3)


def _bars(ax, labels, values, title: str, horizontal: bool = False, colour: str = "#0072B2") -> None:
    values = [0 if v is None else v for v in values]
    if horizontal:
        ax.barh(range(len(labels)), values, color=colour)
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels([textwrap.shorten(str(label), 40) for label in labels], fontsize=6)
        ax.invert_yaxis()
    else:
        ax.bar(range(len(labels)), values, color=colour)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(
            labels, fontsize=6, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center"
        )
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=6)


def _text_page(pdf, plt, lines: list[str], title: str) -> None:
    figure = plt.figure(figsize=A4)
    figure.text(0.06, 0.96, title, fontsize=14, weight="bold", va="top")
    y = 0.92
    for line in lines:
        for wrapped in textwrap.wrap(line, 110) or [""]:
            figure.text(0.06, y, wrapped, fontsize=7, va="top", family="monospace")
            y -= 0.017
            if y < 0.04:
                pdf.savefig(figure)
                plt.close(figure)
                figure = plt.figure(figsize=A4)
                y = 0.96
    pdf.savefig(figure)
    plt.close(figure)


def _n(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def detail_lines(board: Dashboard) -> list[str]:
    """The tables of the dashboard as text lines: escalations, compensation, bot vs staff, questions."""
    lines = ["Escalations (reason: requests, open, median time to claim, median time to resolve):"]
    lines += [
        f"  {e.reason}: {e.count}, open {e.open}, "
        f"claim {_n(e.median_minutes_to_claim, '{:.0f} min')}, "
        f"resolve {_n(e.median_minutes_to_resolve, '{:.0f} min')}"
        for e in board.escalations
    ] or ["  none"]
    lines += ["Compensation by category (count, value, percent coupons):"]
    lines += [
        f"  {c.category}: {c.count}, {c.value_cents / 100:.2f}, {c.percent_coupons}" for c in board.compensation
    ] or ["  none"]
    lines += ["Bot versus staff (NPS, CES, CSAT; response rates NPS/CES/CSAT):"]
    lines += [
        f"  {h.handled_by}: {_n(h.nps, '{:+.1f}')}, {_n(h.ces)}, {_n(h.csat)}; "
        + "/".join(_n(h.response_rates[k], "{:.0%}") for k in ("nps", "ces", "csat"))
        for h in board.handlers
    ]
    lines += ["Not understood (messages, question):"]
    lines += [f"  {g.count}  {g.example}" for g in board.fallbacks[:15]] or ["  none"]
    return lines


def write_pdf(board: Dashboard, summary: list[tuple[str, str]], path: Path) -> None:
    """A few A4 pages: the summary table and formulas, then the charts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        _summary_page(pdf, plt, board, summary)
        _scores_page(pdf, plt, board)
        _sentiment_page(pdf, plt, board)
        _recovery_page(pdf, plt, board)


def _save(pdf, plt, figure) -> None:
    figure.tight_layout()
    pdf.savefig(figure)
    plt.close(figure)


def _summary_page(pdf, plt, board: Dashboard, summary: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in summary)
    lines = [f"{name.ljust(width)}  {value}" for name, value in summary]
    lines += [""] + detail_lines(board)
    lines += ["", "Formulas:"] + [f"- {f}" for f in board.formulas]
    _text_page(pdf, plt, lines, "Customer experience report")


def _scores_page(pdf, plt, board: Dashboard) -> None:
    """Scores and response rates over time, the NPS and CES answers."""
    figure, axes = plt.subplots(3, 2, figsize=A4)
    _line(axes[0][0], board, {"NPS": board.scores["nps"]}, "NPS over time", (-100, 100))
    _line(axes[0][1], board, {"CES": board.scores["ces"]}, "CES over time", (-2, 2))
    _line(axes[1][0], board, {"CSAT": board.scores["csat"]}, "CSAT over time", (1, 7))
    _line(
        axes[1][1],
        board,
        {k.upper(): board.response_rates[k] for k in ("nps", "ces", "csat")},
        "Survey response rates",
        (0, 1),
        percent=True,
    )
    _bars(
        axes[2][0],
        [p.label for p in board.distributions["nps"]],
        _values(board.distributions["nps"]),
        "NPS answers",
    )
    _bars(
        axes[2][1],
        [p.label.replace("_", " ") for p in board.distributions["ces"]],
        _values(board.distributions["ces"]),
        "CES answers",
    )
    _save(pdf, plt, figure)


def _sentiment_page(pdf, plt, board: Dashboard) -> None:
    """The CSAT answers, sentiment over time, escalations and compensation."""
    figure, axes = plt.subplots(3, 2, figsize=A4)
    _bars(
        axes[0][0],
        [p.label for p in board.distributions["csat"]],
        _values(board.distributions["csat"]),
        "CSAT answers",
    )
    _line(axes[0][1], board, board.sentiment_by_channel, "Mean sentiment by channel", (-1, 1))
    _line(axes[1][0], board, board.negative_share_by_channel, "Negative messages by channel", (0, 1), percent=True)
    _line(axes[1][1], board, board.sentiment_by_topic_series, "Mean sentiment by topic", (-1, 1))
    _bars(
        axes[2][0],
        [e.reason for e in board.escalations],
        [e.count for e in board.escalations],
        "Escalations by reason",
        horizontal=True,
        colour="#E69F00",
    )
    _bars(
        axes[2][1],
        [c.category for c in board.compensation],
        [c.count for c in board.compensation],
        "Compensation by category",
        horizontal=True,
        colour="#009E73",
    )
    _save(pdf, plt, figure)


def _recovery_page(pdf, plt, board: Dashboard) -> None:
    """Service recovery, bot versus staff, the questions not understood and sentiment by topic."""
    figure, axes = plt.subplots(3, 2, figsize=A4)
    _bars(
        axes[2][0],
        [t.topic for t in board.sentiment_by_topic],
        [t.mean for t in board.sentiment_by_topic],
        "Sentiment by topic (mean polarity)",
        horizontal=True,
        colour="#CC79A7",
    )
    axes[2][1].axis("off")
    groups = list(RECOVERY_GROUPS)
    names = [g.replace("_", " ") for g in groups]
    _bars(axes[0][0], names, [board.recovery[g]["nps"] for g in groups], "NPS by service recovery")
    _bars(axes[0][1], names, [board.recovery[g]["csat"] for g in groups], "CSAT by service recovery")
    main = [h for h in board.handlers if h.handled_by in ("bot", "staff")]
    _bars(
        axes[1][0],
        [f"{h.handled_by} {k.upper()}" for h in main for k in ("nps", "ces", "csat")],
        [h.response_rates[k] for h in main for k in ("nps", "ces", "csat")],
        "Response rates: bot vs staff",
    )
    top = board.fallbacks[:12]
    _bars(
        axes[1][1],
        [g.example for g in top],
        [g.count for g in top],
        "Not understood (top questions)",
        horizontal=True,
        colour="#D55E00",
    )
    for ax in axes[0]:
        ax.tick_params(axis="x", labelsize=6)
    _save(pdf, plt, figure)
