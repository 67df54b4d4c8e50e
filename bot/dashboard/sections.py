"""The survey and sentiment sections of the dashboard page as small multiples: one compact panel
per chart, each with its numbers folded under it as a table (the chart's text alternative)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.dashboard.charts import Bar, Series, bar_chart, hbar_chart, line_chart
from bot.dashboard.layout import anchor, fmt_share, table
from bot.dashboard.svg import escape
from bot.dashboard.wording import fmt_sentiment, words
from feedback.metrics import Dashboard, Point
from feedback.surveys.scores import CES_VALUES

Link = Callable[[str], str | None]  # drill key -> href (None: no links, e.g. the printed report)
SMALL = (340, 190)  # a small multiple's drawing size; four fit side by side
NPS_GROUPS = (("detractors (0-6)", range(0, 7), "#D55E00"), ("passives (7-8)", range(7, 9), "#E69F00"),
              ("promoters (9-10)", range(9, 11), "#009E73"))  # fmt: skip

# The score charts over time: (kind, name, description, y range, value format).
SCORE_CHARTS: tuple[tuple[str, str, str, tuple[float, float], Callable[[float], str]], ...] = (
    ("nps", "NPS", "Net Promoter Score per period bucket, from -100 to +100.", (-100, 100), lambda v: f"{v:+.0f}"),
    (
        "ces",
        "CES",
        "Customer Effort Score per period bucket, from -2 (very difficult) to +2 (very easy).",
        (-2, 2),
        lambda v: f"{v:+.1f}",
    ),
    ("csat", "CSAT", "Mean satisfaction score per period bucket, 1 to 7.", (1, 7), lambda v: f"{v:.1f}"),
)


def section(key: str, heading: str, *parts: str) -> str:
    """A section of the page: its anchor, its heading, then its panels."""
    return f'<section id="{key}"><h2>{heading}</h2>' + "".join(parts) + "</section>"


def grid(panels: Sequence[str]) -> str:
    return '<div class="grid">' + "".join(panels) + "</div>"


def panel(chart: str, numbers: str = "", *, wide: bool = False) -> str:
    """One small multiple: a chart, and its numbers as a table folded under it."""
    folded = f'<details class="numbers"><summary>Numbers</summary>{numbers}</details>' if numbers else ""
    return f'<figure class="panel{" wide" if wide else ""}">{chart}{folded}</figure>'


def series_of(name: str, points: Sequence[Point], link: Link) -> Series:
    return Series(
        name,
        [p.value for p in points],
        [link(p.drill) if p.count else None for p in points],
        [f"n={p.count}" for p in points],
    )


def series_table(x: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str]) -> str:
    """A line chart's numbers: one row per bucket, one column per line."""
    rows = [
        [escape(label)]
        + [
            "n/a"
            if s.values[i] is None
            else escape(f"{fmt(s.values[i])} ({s.notes[i]})" if s.notes else fmt(s.values[i]))
            for s in series
        ]
        for i, label in enumerate(x)
    ]
    return table(["", *(s.name for s in series)], rows)


def bars_table(bars: Sequence[Bar], fmt: Callable[[float], str], heading: str = "answers") -> str:
    rows = [[anchor(b.label, b.href), "n/a" if b.value is None else escape(fmt(b.value))] for b in bars]
    return table(["", heading], rows)


def scores_section(board: Dashboard, link: Link, x: list[str]) -> str:
    """Scores and response rates over time, three across."""
    panels = []
    for kind, name, desc, y_range, fmt in SCORE_CHARTS:
        series = [series_of(name, board.scores[kind], link)]
        chart = line_chart(
            f"{name} over time", desc, x, series, y_range=y_range, fmt=fmt, width=SMALL[0], height=SMALL[1]
        )
        panels.append(panel(chart, series_table(x, series, fmt)))
    rates = [series_of(k.upper(), board.response_rates[k], link) for k in ("nps", "ces", "csat")]
    chart = line_chart(
        "Survey response rates over time",
        "Answered divided by offered, per survey and bucket.",
        x,
        rates,
        y_range=(0, 1),
        fmt=lambda v: f"{v:.0%}",
        width=SMALL[0],
        height=SMALL[1],
    )
    panels.append(panel(chart, series_table(x, rates, lambda v: f"{v:.0%}")))
    return section("scores", "Scores over time", grid(panels))


def _count(total: int) -> Callable[[float], str]:
    """A count with its share of the answers: "2 (40%)"."""
    return lambda v: f"{v:.0f} ({v / total:.0%})" if total else f"{v:.0f}"


def _bars(points: Sequence[Point], link: Link, label: Callable[[str], str] = str) -> list[Bar]:
    total = sum(p.count for p in points)
    return [
        Bar(label(p.label), p.value, link(p.drill) if p.count else None, f"{p.count / total:.0%}" if total else "")
        for p in points
    ]


def distributions_section(board: Dashboard, link: Link) -> str:
    """How the answers fall: NPS groups and scores, CES answers, CSAT 1-7, as labelled bars."""
    dist = board.distributions
    by_score = {int(p.label): p.count for p in dist["nps"]}
    groups = [Bar(name, float(sum(by_score[s] for s in scores)), colour=colour) for name, scores, colour in NPS_GROUPS]
    ces = {p.label: p for p in dist["ces"]}
    ces_bars = _bars([ces[a] for a in CES_VALUES], link, words)
    counts = {key: _count(sum(p.count for p in dist[key])) for key in ("nps", "ces", "csat")}
    charts = [
        (hbar_chart("NPS groups", "Detractors, passives and promoters among the NPS answers.", groups,
                    fmt=counts["nps"], width=SMALL[0], label_width=120), groups, counts["nps"]),
        (bar_chart("NPS answers", "How many customers gave each score from 0 (not likely) to 10 (extremely likely).",
                   _bars(dist["nps"], link), label=lambda v: f"{v:.0f}", width=SMALL[0], height=SMALL[1]),
         _bars(dist["nps"], link), counts["nps"]),
        (hbar_chart("CES answers", "How many customers gave each effort answer, very easy to very difficult.",
                    ces_bars, fmt=counts["ces"], width=SMALL[0], label_width=100), ces_bars, counts["ces"]),
        (bar_chart("CSAT answers", "How many customers gave each satisfaction score from 1 (very dissatisfied) "
                   "to 7 (very satisfied).", _bars(dist["csat"], link), label=lambda v: f"{v:.0f}", width=SMALL[0],
                   height=SMALL[1]), _bars(dist["csat"], link), counts["csat"]),
    ]  # fmt: skip
    return section("distributions", "Distributions", grid([panel(c, bars_table(b, f)) for c, b, f in charts]))


def sentiment_section(board: Dashboard, link: Link, x: list[str]) -> str:
    channels = sorted(board.sentiment_by_channel)
    polarity, share = (lambda v: f"{v:+.1f}"), (lambda v: f"{v:.0%}")
    lines = [
        ("Mean sentiment by channel", "Mean polarity of customer messages per bucket, -1 (negative) to +1 "
         "(positive), one line per channel.", [series_of(c, board.sentiment_by_channel[c], link) for c in channels],
         (-1, 1), polarity),
        ("Negative messages by channel", "Share of customer messages with negative polarity, per bucket and channel.",
         [series_of(c, board.negative_share_by_channel[c], link) for c in channels], (0, 1), share),
        ("Mean sentiment by topic", "Mean polarity of customer messages per bucket for the busiest topics, -1 to +1.",
         [series_of(words(t), points, link) for t, points in board.sentiment_by_topic_series.items()], (-1, 1),
         polarity),
    ]  # fmt: skip
    panels = [
        panel(line_chart(title, desc, x, series, y_range=y_range, fmt=fmt, width=SMALL[0], height=SMALL[1]),
              series_table(x, series, fmt))
        for title, desc, series, y_range, fmt in lines
    ]  # fmt: skip
    topic_bars = [
        Bar(words(r.topic), r.mean, link(r.drill), f"{r.messages} messages") for r in board.sentiment_by_topic
    ]
    topic_rows = [
        [
            anchor(words(r.topic), link(r.drill)),
            str(r.conversations),
            str(r.messages),
            escape(fmt_sentiment(r.mean)),
            fmt_share(r.negative_share),
        ]
        for r in board.sentiment_by_topic
    ]
    panels.append(
        panel(
            hbar_chart(
                "Sentiment by topic",
                "Mean polarity of customer messages per conversation topic (FAQ topic or complaint category), "
                "-1 to +1.",
                topic_bars,
                x_range=(-1, 1),
                fmt=lambda v: f"{v:+.2f}",
                colour="#CC79A7",
                width=SMALL[0],
                label_width=170,
            ),
            table(["topic", "conversations", "messages", "mean sentiment", "negative"], topic_rows),
        )
    )
    return section("sentiment", "Sentiment", grid(panels))
