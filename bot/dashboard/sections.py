"""The sections of the dashboard page, one function each: headline tiles, summary, charts and
tables of scores, distributions, sentiment, escalations, compensation, recovery, bot versus
staff and the questions the bot did not understand."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.dashboard.charts import (
    Bar,
    Series,
    bar_chart,
    grouped_bar_chart,
    hbar_chart,
    line_chart,
    stacked_bar_chart,
)
from bot.dashboard.layout import anchor, fmt_minutes, fmt_money, fmt_nps, fmt_number, fmt_share, table
from bot.dashboard.svg import escape
from feedback.metrics import Dashboard, Point
from feedback.metrics.recovery_groups import RECOVERY_GROUPS
from feedback.reports import as_report, as_rows


def section(key: str, heading: str, *parts: str) -> str:
    """A section of the page: its anchor, its heading, then its charts and tables."""
    return f'<section id="{key}"><h2>{heading}</h2>' + "".join(parts) + "</section>"


def grid(charts: Sequence[str]) -> str:
    return '<div class="grid">' + "".join(charts) + "</div>"


Link = Callable[[str], str | None]  # drill key -> href (None: no links, e.g. the printed report)
TOP_FALLBACKS = 15
GROUP_TITLES = {
    "recovered": "complaint, recovered",
    "complaint_not_recovered": "complaint, not recovered",
    "no_complaint": "never complained",
}

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


def series_of(name: str, points: Sequence[Point], link: Link) -> Series:
    return Series(
        name,
        [p.value for p in points],
        [link(p.drill) if p.count else None for p in points],
        [f"n={p.count}" for p in points],
    )


def short_label(label: str, bucket: str) -> str:
    return label[5:] if bucket == "day" else f"wk {label[5:]}"


def headline_section(board: Dashboard, link: Link) -> str:
    t = board.totals

    def tile(label: str, value: str, key: str | None = None) -> str:
        shown = anchor(value, link(key) if key else None)
        return f'<div class="tile"><div class="value">{shown}</div><div class="label">{escape(label)}</div></div>'

    total_escalations = sum(t.escalations_by_reason.values())
    return (
        '<div class="tiles" id="headline">'
        + "".join(
            [
                tile(
                    f"NPS ({t.nps_promoters} promoters, {t.nps_passives} passives, {t.nps_detractors} detractors)",
                    fmt_nps(t.nps),
                ),
                tile(f"CES (n={t.answered['ces']})", fmt_number(t.ces)),
                tile(
                    f"CSAT 1-7 (satisfied {fmt_share(t.csat_satisfied_share)}, n={t.answered['csat']})",
                    fmt_number(t.csat),
                ),
                *(
                    tile(f"{k.upper()} response rate ({t.answered[k]}/{t.offered[k]})", fmt_share(t.response_rates[k]))
                    for k in ("nps", "ces", "csat")
                ),
                tile(f"mean sentiment ({t.customer_messages} messages)", fmt_number(t.sentiment_mean, "{:+.3f}")),
                tile("negative messages", fmt_share(t.sentiment_negative_share)),
                tile("escalations", str(total_escalations)),
                tile(
                    f"compensation ({t.percent_coupons} percent coupons)",
                    f"{t.compensations} / {fmt_money(t.compensation_value_cents)}",
                ),
            ]
        )
        + "</div>"
    )


def summary_section(board: Dashboard) -> str:
    summary = [[escape(name), escape(value)] for name, value in as_rows(as_report(board))]
    return section("summary", "Summary", table(["metric", "value"], summary, numeric_from=2))


def scores_section(board: Dashboard, link: Link, x: list[str]) -> str:
    """Scores and response rates over time."""
    charts = [
        line_chart(f"{name} over time", desc, x, [series_of(name, board.scores[kind], link)], y_range=y_range, fmt=fmt)
        for kind, name, desc, y_range, fmt in SCORE_CHARTS
    ]
    charts.append(
        line_chart(
            "Survey response rates over time",
            "Answered divided by offered, per survey and bucket.",
            x,
            [series_of(k.upper(), board.response_rates[k], link) for k in ("nps", "ces", "csat")],
            y_range=(0, 1),
            fmt=lambda v: f"{v:.0%}",
        )
    )
    return section("scores", "Scores over time", grid(charts))


def distributions_section(board: Dashboard, link: Link) -> str:
    dist = board.distributions
    charts = [
        bar_chart(
            "NPS answers",
            "How many customers gave each score from 0 to 10.",
            [Bar(p.label, p.value, link(p.drill) if p.count else None) for p in dist["nps"]],
        ),
        bar_chart(
            "CES answers",
            "How many customers gave each effort answer.",
            [Bar(p.label.replace("_", " "), p.value, link(p.drill) if p.count else None) for p in dist["ces"]],
        ),
        bar_chart(
            "CSAT answers",
            "How many customers gave each satisfaction score from 1 to 7.",
            [Bar(p.label, p.value, link(p.drill) if p.count else None) for p in dist["csat"]],
        ),
    ]
    return section("distributions", "Distributions", grid(charts))


def sentiment_section(board: Dashboard, link: Link, x: list[str]) -> str:
    channels = sorted(board.sentiment_by_channel)
    charts = [
        line_chart(
            "Mean sentiment by channel",
            "Mean polarity of customer messages per bucket, -1 to +1, one line per channel.",
            x,
            [series_of(c, board.sentiment_by_channel[c], link) for c in channels],
            y_range=(-1, 1),
            fmt=lambda v: f"{v:+.1f}",
        ),
        line_chart(
            "Negative messages by channel",
            "Share of customer messages with negative polarity, per bucket and channel.",
            x,
            [series_of(c, board.negative_share_by_channel[c], link) for c in channels],
            y_range=(0, 1),
            fmt=lambda v: f"{v:.0%}",
        ),
        line_chart(
            "Mean sentiment by topic",
            "Mean polarity of customer messages per bucket for the busiest topics, -1 to +1.",
            x,
            [series_of(t, points, link) for t, points in board.sentiment_by_topic_series.items()],
            y_range=(-1, 1),
            fmt=lambda v: f"{v:+.1f}",
        ),
        hbar_chart(
            "Sentiment by topic",
            "Mean polarity of customer messages per conversation topic (FAQ topic or complaint category).",
            [Bar(r.topic, r.mean, link(r.drill), f"{r.messages} messages") for r in board.sentiment_by_topic],
            x_range=(-1, 1),
            fmt=lambda v: f"{v:+.2f}",
            colour="#CC79A7",
        ),
    ]
    topic_rows = [
        [
            anchor(r.topic, link(r.drill)),
            str(r.conversations),
            str(r.messages),
            fmt_number(r.mean, "{:+.3f}"),
            fmt_share(r.negative_share),
        ]
        for r in board.sentiment_by_topic
    ]
    return section(
        "sentiment",
        "Sentiment",
        grid(charts),
        table(["topic", "conversations", "messages", "mean polarity", "negative"], topic_rows),
    )


def escalations_section(board: Dashboard, link: Link) -> str:
    reasons = [r.reason for r in board.escalations]
    chart = stacked_bar_chart(
        "Escalations by reason",
        "Requests for a person per reason, split into still open and closed.",
        [r.replace("_", " ") for r in reasons],
        [
            Series("open", [r.open for r in board.escalations], [link(r.drill) for r in board.escalations]),
            Series("closed", [r.count - r.open for r in board.escalations], [link(r.drill) for r in board.escalations]),
        ],
    )
    rows = [
        [
            anchor(r.reason, link(r.drill)),
            str(r.count),
            str(r.open),
            fmt_minutes(r.median_minutes_to_claim),
            fmt_minutes(r.median_minutes_to_resolve),
        ]
        for r in board.escalations
    ]
    return section(
        "escalations",
        "Escalations",
        chart,
        table(["reason", "requests", "open", "median time to claim", "median time to resolve"], rows),
    )


def compensation_section(board: Dashboard, link: Link) -> str:
    chart = hbar_chart(
        "Compensation by category",
        "Number of compensations issued, pending or redeemed per complaint category.",
        [
            Bar(r.category.replace("_", " "), r.count, link(r.drill), f"value {fmt_money(r.value_cents)}")
            for r in board.compensation
        ],
        colour="#009E73",
    )
    rows = [
        [anchor(r.category, link(r.drill)), str(r.count), fmt_money(r.value_cents), str(r.percent_coupons)]
        for r in board.compensation
    ]
    return section(
        "compensation",
        "Compensation",
        chart,
        table(["category", "count", "value (money)", "percent coupons"], rows),
    )


def recovery_section(board: Dashboard, link: Link) -> str:
    groups = list(RECOVERY_GROUPS)
    labels = [GROUP_TITLES[g] for g in groups]
    hrefs = [link(board.recovery_drill[g]) for g in groups]
    charts = [
        grouped_bar_chart(
            "NPS by service recovery",
            "NPS of customers whose complaint was recovered, not recovered, and who never complained.",
            labels,
            [
                Series(
                    "NPS",
                    [board.recovery[g]["nps"] for g in groups],
                    hrefs,
                    [f"n={board.recovery[g]['nps_responses']}" for g in groups],
                )
            ],
            y_range=(-100, 100),
            fmt=lambda v: f"{v:+.0f}",
        ),
        grouped_bar_chart(
            "CSAT by service recovery",
            "Mean CSAT of the same three groups.",
            labels,
            [
                Series(
                    "CSAT",
                    [board.recovery[g]["csat"] for g in groups],
                    hrefs,
                    [f"n={board.recovery[g]['csat_responses']}" for g in groups],
                )
            ],
            y_range=(1, 7),
            fmt=lambda v: f"{v:.1f}",
        ),
    ]
    rows = [
        [
            anchor(GROUP_TITLES[g], link(board.recovery_drill[g])),
            str(board.recovery[g]["customers"]),
            fmt_nps(board.recovery[g]["nps"]),
            str(board.recovery[g]["nps_responses"]),
            fmt_number(board.recovery[g]["csat"]),
            str(board.recovery[g]["csat_responses"]),
        ]
        for g in groups
    ]
    return section(
        "recovery",
        "Service recovery effectiveness",
        grid(charts),
        table(["group", "customers", "NPS", "NPS answers", "CSAT", "CSAT answers"], rows),
    )


def handlers_section(board: Dashboard, link: Link) -> str:
    """Bot versus staff."""
    main = [h for h in board.handlers if h.handled_by in ("bot", "staff")]
    chart = grouped_bar_chart(
        "Response rates: bot versus staff",
        "Share of offered surveys answered, by who handled the conversation.",
        ["NPS", "CES", "CSAT"],
        [
            Series(
                h.handled_by,
                [h.response_rates[k] for k in ("nps", "ces", "csat")],
                [link(h.drill)] * 3,
                [f"{h.answered[k]}/{h.offered[k]}" for k in ("nps", "ces", "csat")],
            )
            for h in main
        ],
        y_range=(0, 1),
        fmt=lambda v: f"{v:.0%}",
    )
    rows = [
        [
            anchor(h.handled_by, link(h.drill)),
            fmt_nps(h.nps),
            fmt_number(h.ces),
            fmt_number(h.csat),
            *(f"{fmt_share(h.response_rates[k])} ({h.answered[k]}/{h.offered[k]})" for k in ("nps", "ces", "csat")),
        ]
        for h in board.handlers
    ]
    return section(
        "handlers",
        "Bot versus staff",
        chart,
        table(["handled by", "NPS", "CES", "CSAT", "NPS response", "CES response", "CSAT response"], rows),
    )


def fallbacks_section(board: Dashboard, link: Link) -> str:
    top = board.fallbacks[:TOP_FALLBACKS]
    chart = hbar_chart(
        "Questions the bot did not understand",
        "Most frequent groups of not-understood customer messages.",
        [Bar(g.example, g.count, link(g.drill)) for g in top],
        colour="#D55E00",
        label_width=300,
    )
    rows = [
        [anchor(g.example, link(g.drill)), str(g.count), str(len(g.conversation_ids)), escape("; ".join(g.variants))]
        for g in board.fallbacks
    ]
    return section(
        "fallbacks",
        "Not understood: which FAQ to add next",
        chart,
        table(
            ["question (most frequent wording)", "messages", "conversations", "other wordings"], rows, numeric_from=1
        ),
    )
