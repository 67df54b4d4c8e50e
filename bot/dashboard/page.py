"""The dashboard as one self-contained HTML page (inline CSS and SVG, no script), used by the web
dashboard and by `cxbot report --format html`; and the drill-down pages behind its numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.dashboard.charts import (
    Bar,
    Series,
    bar_chart,
    escape,
    grouped_bar_chart,
    hbar_chart,
    line_chart,
    stacked_bar_chart,
)
from feedback.metrics import Dashboard, Point
from feedback.metrics.recovery_groups import RECOVERY_GROUPS
from feedback.reports import as_report, as_rows

Link = Callable[[str], str | None]  # drill key -> href (None: no links, e.g. the printed report)
TOP_FALLBACKS = 15
GROUP_TITLES = {
    "recovered": "complaint, recovered",
    "complaint_not_recovered": "complaint, not recovered",
    "no_complaint": "never complained",
}

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1360px;padding:16px;color:#222;background:#fff}
h1{font-size:1.5rem;margin:0 0 4px} h2{font-size:1.15rem;margin:0 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:.95rem;margin:12px 0 4px}
.meta{color:#555;margin:0 0 12px}
form.filters{display:flex;gap:12px;align-items:end;flex-wrap:wrap;background:#f5f7fa;padding:10px;border-radius:6px;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:.85rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;margin-bottom:16px}
.tile{border:1px solid #dde;border-radius:6px;padding:8px}
.tile .value{font-size:1.4rem;font-weight:600}
.tile .label{font-size:.8rem;color:#555}
section{margin:0 0 20px;break-inside:avoid}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
svg.chart{max-width:100%;height:auto}
svg.chart a rect:hover,svg.chart a circle:hover{opacity:.7}
table{border-collapse:collapse;font-size:.85rem;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top} td.num{text-align:right}
.formulas li{font-size:.85rem;margin-bottom:2px}
.note{font-size:.85rem;color:#555}
.exports a{margin-right:10px}
@media print{form.filters,.exports,nav{display:none} body{max-width:none;padding:0}
 a{color:inherit;text-decoration:none}
 .grid{grid-template-columns:1fr 1fr} section{page-break-inside:avoid}}
"""


def fmt_number(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def fmt_nps(value) -> str:
    return fmt_number(value, "{:+.1f}")


def fmt_share(value) -> str:
    return fmt_number(value, "{:.0%}")


def fmt_money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def fmt_minutes(value) -> str:
    return fmt_number(value, "{:.0f} min")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i >= numeric_from else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _a(text: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else escape(text)


def _series(name: str, points: Sequence[Point], link: Link) -> Series:
    return Series(
        name,
        [p.value for p in points],
        [link(p.drill) if p.count else None for p in points],
        [f"n={p.count}" for p in points],
    )


def _short(label: str, bucket: str) -> str:
    return label[5:] if bucket == "day" else f"wk {label[5:]}"


def render_dashboard(
    board: Dashboard,
    *,
    link: Link = lambda key: None,
    form: str = "",
    exports: str = "",
    title: str = "Customer experience dashboard",
) -> str:
    """The whole page; `link` turns a number's drill key into the href of its conversations."""
    f = board.filters
    x = [_short(label, board.bucket) for label in board.buckets]
    channel = f.channel or "all channels"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Period {escape(f.since.isoformat())} to {escape(f.until.isoformat())} (until exclusive), '
        f"{escape(channel)}; one point per {escape(board.bucket)} (UTC).</p>",
        form,
        exports,
        _headline(board, link),
        _summary(board),
        _scores(board, link, x),
        _distributions(board, link),
        _sentiment(board, link, x),
        _escalations(board, link),
        _compensation(board, link),
        _recovery(board, link),
        _handlers(board, link),
        _fallbacks(board, link),
        '<section id="formulas"><h2>Formulas</h2><ul class="formulas">'
        + "".join(f"<li>{escape(formula)}</li>" for formula in board.formulas)
        + "</ul></section>",
    ]
    return _page(title, "".join(parts))


def _headline(board: Dashboard, link: Link) -> str:
    t = board.totals

    def tile(label: str, value: str, key: str | None = None) -> str:
        shown = _a(value, link(key) if key else None)
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


def _summary(board: Dashboard) -> str:
    summary = [[escape(name), escape(value)] for name, value in as_rows(as_report(board))]
    return (
        '<section id="summary"><h2>Summary</h2>' + _table(["metric", "value"], summary, numeric_from=2) + "</section>"
    )


def _scores(board: Dashboard, link: Link, x: list[str]) -> str:
    """Scores and response rates over time."""
    charts = [
        line_chart(
            "NPS over time",
            "Net Promoter Score per period bucket, from -100 to +100.",
            x,
            [_series("NPS", board.scores["nps"], link)],
            y_range=(-100, 100),
            fmt=lambda v: f"{v:+.0f}",
        ),
        line_chart(
            "CES over time",
            "Customer Effort Score per period bucket, from -2 (very difficult) to +2 (very easy).",
            x,
            [_series("CES", board.scores["ces"], link)],
            y_range=(-2, 2),
            fmt=lambda v: f"{v:+.1f}",
        ),
        line_chart(
            "CSAT over time",
            "Mean satisfaction score per period bucket, 1 to 7.",
            x,
            [_series("CSAT", board.scores["csat"], link)],
            y_range=(1, 7),
            fmt=lambda v: f"{v:.1f}",
        ),
        line_chart(
            "Survey response rates over time",
            "Answered divided by offered, per survey and bucket.",
            x,
            [_series(k.upper(), board.response_rates[k], link) for k in ("nps", "ces", "csat")],
            y_range=(0, 1),
            fmt=lambda v: f"{v:.0%}",
        ),
    ]
    return '<section id="scores"><h2>Scores over time</h2><div class="grid">' + "".join(charts) + "</div></section>"


def _distributions(board: Dashboard, link: Link) -> str:
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
    return '<section id="distributions"><h2>Distributions</h2><div class="grid">' + "".join(charts) + "</div></section>"


def _sentiment(board: Dashboard, link: Link, x: list[str]) -> str:
    channels = sorted(board.sentiment_by_channel)
    charts = [
        line_chart(
            "Mean sentiment by channel",
            "Mean polarity of customer messages per bucket, -1 to +1, one line per channel.",
            x,
            [_series(c, board.sentiment_by_channel[c], link) for c in channels],
            y_range=(-1, 1),
            fmt=lambda v: f"{v:+.1f}",
        ),
        line_chart(
            "Negative messages by channel",
            "Share of customer messages with negative polarity, per bucket and channel.",
            x,
            [_series(c, board.negative_share_by_channel[c], link) for c in channels],
            y_range=(0, 1),
            fmt=lambda v: f"{v:.0%}",
        ),
        line_chart(
            "Mean sentiment by topic",
            "Mean polarity of customer messages per bucket for the busiest topics, -1 to +1.",
            x,
            [_series(t, points, link) for t, points in board.sentiment_by_topic_series.items()],
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
            _a(r.topic, link(r.drill)),
            str(r.conversations),
            str(r.messages),
            fmt_number(r.mean, "{:+.3f}"),
            fmt_share(r.negative_share),
        ]
        for r in board.sentiment_by_topic
    ]
    return (
        '<section id="sentiment"><h2>Sentiment</h2><div class="grid">'
        + "".join(charts)
        + "</div>"
        + _table(["topic", "conversations", "messages", "mean polarity", "negative"], topic_rows)
        + "</section>"
    )


def _escalations(board: Dashboard, link: Link) -> str:
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
            _a(r.reason, link(r.drill)),
            str(r.count),
            str(r.open),
            fmt_minutes(r.median_minutes_to_claim),
            fmt_minutes(r.median_minutes_to_resolve),
        ]
        for r in board.escalations
    ]
    return (
        '<section id="escalations"><h2>Escalations</h2>'
        + chart
        + _table(["reason", "requests", "open", "median time to claim", "median time to resolve"], rows)
        + "</section>"
    )


def _compensation(board: Dashboard, link: Link) -> str:
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
        [_a(r.category, link(r.drill)), str(r.count), fmt_money(r.value_cents), str(r.percent_coupons)]
        for r in board.compensation
    ]
    return (
        '<section id="compensation"><h2>Compensation</h2>'
        + chart
        + _table(["category", "count", "value (money)", "percent coupons"], rows)
        + "</section>"
    )


def _recovery(board: Dashboard, link: Link) -> str:
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
            _a(GROUP_TITLES[g], link(board.recovery_drill[g])),
            str(board.recovery[g]["customers"]),
            fmt_nps(board.recovery[g]["nps"]),
            str(board.recovery[g]["nps_responses"]),
            fmt_number(board.recovery[g]["csat"]),
            str(board.recovery[g]["csat_responses"]),
        ]
        for g in groups
    ]
    return (
        '<section id="recovery"><h2>Service recovery effectiveness</h2><div class="grid">'
        + "".join(charts)
        + "</div>"
        + _table(["group", "customers", "NPS", "NPS answers", "CSAT", "CSAT answers"], rows)
        + "</section>"
    )


def _handlers(board: Dashboard, link: Link) -> str:
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
            _a(h.handled_by, link(h.drill)),
            fmt_nps(h.nps),
            fmt_number(h.ces),
            fmt_number(h.csat),
            *(f"{fmt_share(h.response_rates[k])} ({h.answered[k]}/{h.offered[k]})" for k in ("nps", "ces", "csat")),
        ]
        for h in board.handlers
    ]
    return (
        '<section id="handlers"><h2>Bot versus staff</h2>'
        + chart
        + _table(["handled by", "NPS", "CES", "CSAT", "NPS response", "CES response", "CSAT response"], rows)
        + "</section>"
    )


def _fallbacks(board: Dashboard, link: Link) -> str:
    top = board.fallbacks[:TOP_FALLBACKS]
    chart = hbar_chart(
        "Questions the bot did not understand",
        "Most frequent groups of not-understood customer messages.",
        [Bar(g.example, g.count, link(g.drill)) for g in top],
        colour="#D55E00",
        label_width=300,
    )
    rows = [
        [_a(g.example, link(g.drill)), str(g.count), str(len(g.conversation_ids)), escape("; ".join(g.variants))]
        for g in board.fallbacks
    ]
    return (
        '<section id="fallbacks"><h2>Not understood: which FAQ to add next</h2>'
        + chart
        + _table(
            ["question (most frequent wording)", "messages", "conversations", "other wordings"], rows, numeric_from=1
        )
        + "</section>"
    )


def render_conversation_list(title: str, rows: list[dict], *, back: str, transcript: Callable[[int], str]) -> str:
    headers = [
        "conversation",
        "channel",
        "started",
        "topic",
        "messages",
        "mean polarity",
        "NPS",
        "CES",
        "CSAT",
        "handled by",
        "escalations",
        "compensation",
    ]
    body_rows = [
        [
            _a(row["conversation_public_id"], transcript(row["conversation_id"])),
            escape(row["channel"]),
            escape(row["started_at"][:16].replace("T", " ")),
            escape(row["topic"]),
            str(row["customer_messages"]),
            fmt_number(row["mean_polarity"], "{:+.2f}"),
            fmt_number(row["nps"], "{}"),
            escape(row["ces_answer"] or "n/a"),
            fmt_number(row["csat"], "{}"),
            escape(row["handled_by"]),
            escape(row["escalation_reasons"]),
            str(row["compensations"]),
        ]
        for row in rows
    ]
    body = (
        f'<nav><a href="{escape(back)}">Back to the dashboard</a></nav><h1>{escape(title)}</h1>'
        f'<p class="meta">{len(rows)} conversations</p>' + _table(headers, body_rows, numeric_from=4)
    )
    return _page(title, body)


def render_transcript(conversation: dict, messages: list[dict], *, back: str) -> str:
    rows = [
        [
            escape(m["created_at"][:19].replace("T", " ")),
            escape(m["direction"]),
            escape(m["text"]),
            escape(m["intent"] or ""),
            fmt_number(m["polarity"], "{:+.2f}"),
        ]
        for m in messages
    ]
    title = f"Conversation {conversation['public_id']}"
    body = (
        f'<nav><a href="{escape(back)}">Back to the dashboard</a></nav><h1>{escape(title)}</h1>'
        f'<p class="meta">{escape(conversation["channel"])}, started {escape(conversation["started_at"])}, '
        f"state {escape(conversation['state'])}</p>"
        + _table(["time", "from", "text", "intent", "polarity"], rows, numeric_from=4)
    )
    return _page(title, body)
