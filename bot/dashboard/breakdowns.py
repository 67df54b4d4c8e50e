"""The breakdown sections of the dashboard page as small multiples: escalations and compensation,
service recovery and bot versus staff, and the questions the bot did not understand."""

from __future__ import annotations

from bot.dashboard.charts import Bar, Series, grouped_bar_chart, hbar_chart, stacked_bar_chart
from bot.dashboard.layout import anchor, fmt_minutes, fmt_nps, fmt_number, fmt_share, table
from bot.dashboard.sections import SMALL, Link, grid, panel, section
from bot.dashboard.svg import escape
from bot.dashboard.wording import fmt_money, words
from feedback.metrics import Dashboard
from feedback.metrics.recovery_groups import RECOVERY_GROUPS

TOP_FALLBACKS = 15
GROUP_TITLES = {
    "recovered": "complaint, recovered",
    "complaint_not_recovered": "complaint, not recovered",
    "no_complaint": "never complained",
}
SHORT_TITLES = {"recovered": "recovered", "complaint_not_recovered": "not recovered", "no_complaint": "no complaint"}


def escalations_panel(board: Dashboard, link: Link) -> str:
    chart = stacked_bar_chart(
        "Escalations by reason",
        "Requests for a person per reason, split into still open and closed.",
        [words(r.reason) for r in board.escalations],
        [
            Series("open", [r.open for r in board.escalations], [link(r.drill) for r in board.escalations]),
            Series("closed", [r.count - r.open for r in board.escalations], [link(r.drill) for r in board.escalations]),
        ],
        width=SMALL[0] + 60,
    )
    rows = [
        [
            anchor(words(r.reason), link(r.drill)),
            str(r.count),
            str(r.open),
            fmt_minutes(r.median_minutes_to_claim),
            fmt_minutes(r.median_minutes_to_resolve),
        ]
        for r in board.escalations
    ]
    headers = ["reason", "requests", "open", "median time to claim", "median time to resolve"]
    return panel(chart, table(headers, rows))


def compensation_panel(board: Dashboard, link: Link, currency: str) -> str:
    chart = hbar_chart(
        "Compensation by category",
        f"Number of compensations issued, pending or redeemed per complaint category, with their value in {currency}.",
        [
            Bar(words(r.category), r.count, link(r.drill), f"value {fmt_money(r.value_cents, currency)}")
            for r in board.compensation
        ],
        colour="#009E73",
        width=SMALL[0] + 60,
        label_width=120,
    )
    rows = [
        [
            anchor(words(r.category), link(r.drill)),
            str(r.count),
            escape(fmt_money(r.value_cents, currency)),
            str(r.percent_coupons),
        ]
        for r in board.compensation
    ]
    return panel(chart, table(["category", "count", "value", "percent coupons"], rows))


def escalations_section(board: Dashboard, link: Link, currency: str, summary: str) -> str:
    """Escalations, compensation and the summary side by side: what went to a person, what it cost."""
    return (
        '<div class="trio">'
        + section("escalations", "Escalations", escalations_panel(board, link))
        + section("compensation", "Compensation", compensation_panel(board, link, currency))
        + summary
        + "</div>"
    )


def recovery_section(board: Dashboard, link: Link) -> str:
    groups = list(RECOVERY_GROUPS)
    labels = [SHORT_TITLES[g] for g in groups]
    hrefs = [link(board.recovery_drill[g]) for g in groups]
    recovery = board.recovery

    def one(key: str, name: str, desc: str, y_range, fmt) -> str:
        notes = [f"n={recovery[g][f'{key}_responses']}" for g in groups]
        series = [Series(name, [recovery[g][key] for g in groups], hrefs, notes)]
        return grouped_bar_chart(
            f"{name} by service recovery",
            desc,
            labels,
            series,
            y_range=y_range,
            fmt=fmt,
            width=SMALL[0],
            height=SMALL[1],
        )

    rows = [
        [
            anchor(GROUP_TITLES[g], link(board.recovery_drill[g])),
            str(recovery[g]["customers"]),
            fmt_nps(recovery[g]["nps"]),
            str(recovery[g]["nps_responses"]),
            fmt_number(recovery[g]["csat"]),
            str(recovery[g]["csat_responses"]),
        ]
        for g in groups
    ]
    numbers = table(["group", "people", "NPS", "NPS answers", "CSAT", "CSAT answers"], rows)
    nps_desc = "NPS of customers whose complaint was recovered, not recovered, and who never complained."
    panels = [
        panel(one("nps", "NPS", nps_desc, (-100, 100), lambda v: f"{v:+.0f}"), numbers),
        panel(one("csat", "CSAT", "Mean CSAT of the same three groups.", (1, 7), lambda v: f"{v:.1f}"), numbers),
        handlers_panel(board, link),
    ]
    return section("recovery", "Service recovery, and bot versus staff", grid(panels))


def handlers_panel(board: Dashboard, link: Link) -> str:
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
        width=SMALL[0],
        height=SMALL[1],
    )
    rows = [
        [
            anchor(h.handled_by, link(h.drill)),
            fmt_nps(h.nps),
            fmt_number(h.ces, "{:+.2f}"),
            fmt_number(h.csat),
            *(f"{fmt_share(h.response_rates[k])} ({h.answered[k]}/{h.offered[k]})" for k in ("nps", "ces", "csat")),
        ]
        for h in board.handlers
    ]
    headers = ["handled by", "NPS", "CES", "CSAT", "NPS response", "CES response", "CSAT response"]
    return f'<div id="handlers">{panel(chart, table(headers, rows))}</div>'


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
    headers = ["question (most frequent wording)", "messages", "conversations", "other wordings"]
    return section(
        "fallbacks",
        "Not understood: which FAQ to add next",
        '<div class="pair">' + panel(chart) + f'<div class="panel">{table(headers, rows, numeric_from=1)}</div></div>',
    )
