"""The printable report as PDF, drawn with matplotlib (installed with Rasa; no browser needed).

It follows the screen: the same cards with their change against the previous period, the same
small multiples four to a row on A4 landscape, the same words for dates, money and sentiment,
and the formulas. The numbers come from the same Dashboard object. Figures are built without
pyplot, whose global state is not safe across threads.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from bot.dashboard.breakdowns import SHORT_TITLES
from bot.dashboard.cards import ARROWS, delta_formats, summary_rows, value_formats
from bot.dashboard.remedies import LOYALTY_TITLES
from bot.dashboard.sections import NPS_GROUPS
from bot.dashboard.svg import PALETTE
from bot.dashboard.wording import bucket_label, fmt_money, fmt_period, words
from feedback.metrics import Dashboard
from feedback.metrics.recovery_groups import RECOVERY_GROUPS
from feedback.metrics.remedies import LOYALTY_GROUPS
from feedback.reports import followup_text
from feedback.surveys.scores import CES_VALUES

A4_LANDSCAPE = (11.69, 8.27)
VERDICT_COLOURS = {"good": "#0a7c42", "bad": "#b3261e", "neutral": "#555555"}


def _line(ax, board: Dashboard, series: dict, title: str, y_range, percent: bool = False) -> None:
    x = list(range(len(board.buckets)))
    for name, points in series.items():
        ax.plot(x, [float("nan") if p.value is None else p.value for p in points], marker="o", label=words(name))
    ax.set_title(title, fontsize=9)
    ax.set_ylim(*y_range)
    step = max(1, len(x) // 5)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([bucket_label(b, board.bucket) for b in board.buckets][::step], fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    if len(series) > 1:
        ax.legend(fontsize=5)
    ax.grid(alpha=0.3)


def _bars(ax, labels, values, title: str, *, horizontal: bool = False, colours=None, shown=None) -> None:
    """Bars labelled with their values (`shown`: the words for each, else the number)."""
    values = [0 if v is None else v for v in values]
    colours = colours or PALETTE[0]
    if horizontal:
        bars = ax.barh(range(len(labels)), values, color=colours)
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels([textwrap.shorten(str(label), 40) for label in labels], fontsize=6)
        ax.invert_yaxis()
    else:
        bars = ax.bar(range(len(labels)), values, color=colours)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=6)
    ax.bar_label(bars, labels=shown or [f"{v:g}" for v in values], fontsize=6, padding=2)
    if all(float(v).is_integer() for v in values):  # counts: whole-number ticks
        from matplotlib.ticker import MaxNLocator

        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.15) if horizontal else ax.margins(y=0.15)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=6)


def _share(values: Sequence[float]) -> list[str]:
    total = sum(values)
    return [f"{v:.0f} ({v / total:.0%})" if total else f"{v:.0f}" for v in values]


def _cards_page(pdf, board: Dashboard, currency: str, title: str) -> None:
    """The title, the period, the seven cards and the summary, as the top of the screen."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=A4_LANDSCAPE)
    f, before = board.filters, board.previous_filters
    figure.text(0.04, 0.95, title, fontsize=16, weight="bold")
    figure.text(0.04, 0.915, f"{fmt_period(f.since, f.until)}, {f.channel or 'all channels'}; compared with "
                f"{fmt_period(before.since, before.until)}, the period of the same length just before.",
                fontsize=9, color="#555555")  # fmt: skip
    values, deltas = value_formats(currency), delta_formats(currency)
    width = 0.92 / len(board.changes)
    for index, (key, change) in enumerate(board.changes.items()):
        x, colour = 0.04 + index * width, VERDICT_COLOURS[change.verdict]
        figure.patches.append(
            Rectangle((x, 0.70), width - 0.01, 0.18, transform=figure.transFigure, fill=False, edgecolor="#b8c0cc")
        )
        figure.patches.append(
            Rectangle((x, 0.875), width - 0.01, 0.005, transform=figure.transFigure, color=colour, linewidth=0)
        )
        figure.text(x + 0.008, 0.85, change.name.upper(), fontsize=7, color="#555555")
        value = "n/a" if change.current is None else values[key](change.current)
        figure.text(x + 0.008, 0.80, value, fontsize=13 if len(value) < 10 else 9, weight="bold")
        was = "n/a" if change.previous is None else values[key](change.previous)
        if change.direction in ("up", "down"):
            text = f"{ARROWS[change.direction]} {deltas[key](change.delta)}\nwas {was}"
        else:
            text = f"{'no change' if change.direction == 'flat' else 'no comparison'}\nwas {was}"
        figure.text(x + 0.008, 0.72, text, fontsize=7, color=colour, weight="bold")
    lines = [f"{name}: {value}" for name, value in summary_rows(board, currency)]
    _write_lines(figure, lines + [""] + detail_lines(board, currency), top=0.64)
    pdf.savefig(figure)


def _write_lines(figure, lines: list[str], top: float) -> None:
    y = top
    for line in lines:
        for wrapped in textwrap.wrap(line, 150) or [""]:
            figure.text(0.04, y, wrapped, fontsize=7, va="top")
            y -= 0.021


def detail_lines(board: Dashboard, currency: str) -> list[str]:
    """The tables under the charts as lines: escalations, compensation, bot versus staff."""
    lines = ["Escalations (reason: requests, still open, median time to claim, median time to resolve):"]
    lines += [
        f"    {words(e.reason)}: {e.count}, open {e.open}, claim {_n(e.median_minutes_to_claim, '{:.0f} min')}, "
        f"resolve {_n(e.median_minutes_to_resolve, '{:.0f} min')}"
        for e in board.escalations
    ] or ["    none"]
    lines += ["Compensation by category (count, value, percent coupons):"]
    lines += [
        f"    {words(c.category)}: {c.count}, {fmt_money(c.value_cents, currency)}, {c.percent_coupons}"
        for c in board.compensation
    ] or ["    none"]
    lines += ["Service recovery (people, NPS, CSAT), then the follow-ups a few days later:"]
    lines += [
        f"    {words(group)}: {r['customers']} people, NPS {_n(r['nps'], '{:+.1f}')} (n={r['nps_responses']}), "
        f"CSAT {_n(r['csat'])} (n={r['csat_responses']})"
        for group, r in board.recovery.items()
    ]
    lines += [f"    follow-ups: {followup_text(board.totals.followups)}"]
    lines += ["Bot versus staff (NPS, CES, CSAT; response rates NPS / CES / CSAT):"]
    lines += [
        f"    {h.handled_by}: {_n(h.nps, '{:+.1f}')}, {_n(h.ces, '{:+.2f}')}, {_n(h.csat)}; "
        + " / ".join(_n(h.response_rates[k], "{:.0%}") for k in ("nps", "ces", "csat"))
        for h in board.handlers
    ]
    return lines


def _n(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def write_pdf(
    board: Dashboard, path: Path | BinaryIO, *, currency: str, title: str = "Customer experience report"
) -> None:
    """A4 landscape pages: the cards and summary, two pages of small multiples, the remedies, the questions
    and formulas."""
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        _cards_page(pdf, board, currency, title)
        _scores_page(pdf, board)
        _breakdowns_page(pdf, board)
        _remedies_page(pdf, board, currency)
        _questions_page(pdf, board)


def _grid(rows: int = 2, columns: int = 4):
    from matplotlib.figure import Figure

    figure = Figure(figsize=A4_LANDSCAPE)
    return figure, figure.subplots(rows, columns)


def _save(pdf, figure) -> None:
    figure.tight_layout()
    pdf.savefig(figure)


def _scores_page(pdf, board: Dashboard) -> None:
    """Scores over time, then the distributions, four to a row as on the screen."""
    figure, axes = _grid()
    _line(axes[0][0], board, {"NPS": board.scores["nps"]}, "NPS over time", (-100, 100))
    _line(axes[0][1], board, {"CES": board.scores["ces"]}, "CES over time", (-2, 2))
    _line(axes[0][2], board, {"CSAT": board.scores["csat"]}, "CSAT over time", (1, 7))
    rates = {k.upper(): board.response_rates[k] for k in ("nps", "ces", "csat")}
    _line(axes[0][3], board, rates, "Survey response rates over time", (0, 1), percent=True)
    dist = board.distributions
    by_score = {int(p.label): p.count for p in dist["nps"]}
    groups = [float(sum(by_score[s] for s in scores)) for _, scores, _ in NPS_GROUPS]
    names, colours = [name for name, _, _ in NPS_GROUPS], [colour for _, _, colour in NPS_GROUPS]
    _bars(axes[1][0], names, groups, "NPS groups", horizontal=True, colours=colours, shown=_share(groups))
    _bars(axes[1][1], [p.label for p in dist["nps"]], [p.value for p in dist["nps"]], "NPS answers")
    ces = {p.label: p.value or 0.0 for p in dist["ces"]}
    ces_values = [ces[a] for a in CES_VALUES]
    _bars(axes[1][2], [words(a) for a in CES_VALUES], ces_values, "CES answers", horizontal=True,
          shown=_share(ces_values))  # fmt: skip
    _bars(axes[1][3], [p.label for p in dist["csat"]], [p.value for p in dist["csat"]], "CSAT answers")
    _save(pdf, figure)


def _breakdowns_page(pdf, board: Dashboard) -> None:
    """Sentiment, then escalations, compensation and service recovery."""
    figure, axes = _grid()
    _line(axes[0][0], board, board.sentiment_by_channel, "Mean sentiment by channel", (-1, 1))
    _line(axes[0][1], board, board.negative_share_by_channel, "Negative messages by channel", (0, 1), percent=True)
    _line(axes[0][2], board, board.sentiment_by_topic_series, "Mean sentiment by topic", (-1, 1))
    topics = board.sentiment_by_topic
    _bars(axes[0][3], [words(t.topic) for t in topics], [t.mean for t in topics], "Sentiment by topic",
          horizontal=True, colours="#CC79A7", shown=[_n(t.mean, "{:+.2f}") for t in topics])  # fmt: skip
    _bars(axes[1][0], [words(e.reason) for e in board.escalations], [e.count for e in board.escalations],
          "Escalations by reason", horizontal=True, colours="#E69F00")  # fmt: skip
    _bars(axes[1][1], [words(c.category) for c in board.compensation], [c.count for c in board.compensation],
          "Compensation by category", horizontal=True, colours="#009E73")  # fmt: skip
    groups = list(RECOVERY_GROUPS)
    names = [SHORT_TITLES[g] for g in groups]
    nps, csat = [board.recovery[g]["nps"] for g in groups], [board.recovery[g]["csat"] for g in groups]
    _bars(axes[1][2], names, nps, "NPS by service recovery", shown=[_n(v, "{:+.0f}") for v in nps])
    _bars(axes[1][3], names, csat, "CSAT by service recovery", shown=[_n(v, "{:.1f}") for v in csat])
    _save(pdf, figure)


def _remedies_page(pdf, board: Dashboard, currency: str) -> None:
    """Recovery cases by remedy and by goodwill with their cost, then remedy + goodwill vs remedy only."""
    figure, axes = _grid(1, 4)
    remedies = board.totals.remedies
    for ax, split, title in ((axes[0], "by_remedy", "Cases by remedy"), (axes[1], "by_goodwill", "Cases by goodwill")):
        rows = remedies[split]
        shown = [f"{r['cases']}, {fmt_money(r['cost_cents'], currency)}" for r in rows]
        labels = [words(r["name"]) for r in rows]
        _bars(ax, labels, [r["cases"] for r in rows], title, horizontal=True, colours="#0072B2", shown=shown)
    groups = list(LOYALTY_GROUPS)
    names = [LOYALTY_TITLES[g] for g in groups]
    nps, csat = [remedies["loyalty"][g]["nps"] for g in groups], [remedies["loyalty"][g]["csat"] for g in groups]
    _bars(axes[2], names, nps, "NPS: remedy + goodwill vs remedy only", shown=[_n(v, "{:+.0f}") for v in nps])
    _bars(axes[3], names, csat, "CSAT: remedy + goodwill vs remedy only", shown=[_n(v, "{:.1f}") for v in csat])
    _save(pdf, figure)


def _questions_page(pdf, board: Dashboard) -> None:
    """Bot versus staff, the questions the bot did not understand, and the formulas."""
    figure, axes = _grid(2, 2)
    main = [h for h in board.handlers if h.handled_by in ("bot", "staff")]
    rates = [h.response_rates[k] for h in main for k in ("nps", "ces", "csat")]
    _bars(axes[0][0], [f"{h.handled_by} {k.upper()}" for h in main for k in ("nps", "ces", "csat")], rates,
          "Response rates: bot versus staff", shown=[_n(v, "{:.0%}") for v in rates])  # fmt: skip
    top = board.fallbacks[:12]
    _bars(axes[0][1], [g.example for g in top], [g.count for g in top], "Questions the bot did not understand",
          horizontal=True, colours="#D55E00")  # fmt: skip
    for ax in axes[1]:
        ax.axis("off")
    figure.tight_layout()
    _write_lines(figure, ["Formulas:"] + [f"- {formula}" for formula in board.formulas], top=0.46)
    pdf.savefig(figure)
