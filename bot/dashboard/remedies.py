"""The remedies section of the dashboard page as small multiples: recovery cases by remedy and by
the goodwill that followed, with what each cost, and the service-recovery paradox measured:
NPS and CSAT of customers given a remedy plus goodwill beside those given the remedy only."""

from __future__ import annotations

from bot.dashboard.charts import Bar, Series, grouped_bar_chart, hbar_chart
from bot.dashboard.layout import anchor, fmt_nps, fmt_number, table
from bot.dashboard.sections import SMALL, Link, grid, panel, section
from bot.dashboard.svg import escape
from bot.dashboard.wording import fmt_money, words
from feedback.metrics import Dashboard
from feedback.metrics.remedies import LOYALTY_GROUPS

LOYALTY_TITLES = {"remedy_and_goodwill": "remedy + goodwill", "remedy_only": "remedy only"}


def _cost_note(row: dict, currency: str) -> str:
    note = f"cost {fmt_money(row['cost_cents'], currency)}"
    if row["unvalued"]:
        note += f", {row['unvalued']} without an amount"
    return note + (f", {row['percent_coupons']} percent coupons" if row["percent_coupons"] else "")


def _cases_panel(board: Dashboard, link: Link, currency: str, split: str, title: str, desc: str) -> str:
    rows = board.totals.remedies[split]
    if not rows:  # an empty chart would be a sliver: say so in words
        return f'<p class="meta"><strong>{escape(title)}</strong>: no case had a remedy in this period.</p>'
    hrefs = [link(board.remedy_drill.get(f"{split}:{r['name']}", "")) for r in rows]
    bars = [
        Bar(words(r["name"]), r["cases"], href, _cost_note(r, currency)) for r, href in zip(rows, hrefs, strict=True)
    ]
    chart = hbar_chart(title, desc, bars, colour="#0072B2", width=SMALL[0] + 60, label_width=140)
    numbers = [
        [
            anchor(words(r["name"]), href),
            str(r["cases"]),
            escape(fmt_money(r["cost_cents"], currency)),
            str(r["unvalued"]),
            str(r["percent_coupons"]),
        ]
        for r, href in zip(rows, hrefs, strict=True)
    ]
    return panel(chart, table(["", "cases", "cost", "without an amount", "percent coupons"], numbers))


def _loyalty_panels(board: Dashboard, link: Link) -> list[str]:
    loyalty = board.totals.remedies["loyalty"]
    groups = list(LOYALTY_GROUPS)
    labels = [LOYALTY_TITLES[g] for g in groups]
    hrefs = [link(board.remedy_drill.get(f"loyalty:{g}", "")) for g in groups]
    numbers = table(
        ["group", "people", "NPS", "NPS answers", "CSAT", "CSAT answers"],
        [
            [
                anchor(LOYALTY_TITLES[g], href),
                str(loyalty[g]["customers"]),
                fmt_nps(loyalty[g]["nps"]),
                str(loyalty[g]["nps_responses"]),
                fmt_number(loyalty[g]["csat"]),
                str(loyalty[g]["csat_responses"]),
            ]
            for g, href in zip(groups, hrefs, strict=True)
        ],
    )
    charts = [
        ("nps", "NPS", "NPS after a remedy plus goodwill, and after a remedy only.", (-100, 100), "{:+.0f}"),
        ("csat", "CSAT", "Mean CSAT of the same two groups, 1 to 7.", (1, 7), "{:.1f}"),
    ]
    panels = []
    for key, name, desc, y_range, pattern in charts:
        notes = [f"n={loyalty[g][f'{key}_responses']}" for g in groups]
        series = [Series(name, [loyalty[g][key] for g in groups], hrefs, notes)]
        chart = grouped_bar_chart(
            f"{name}: remedy + goodwill vs remedy only",
            desc,
            labels,
            series,
            y_range=y_range,
            fmt=pattern.format,
            width=SMALL[0],
            height=SMALL[1],
        )
        panels.append(panel(chart, numbers))
    return panels


def remedies_section(board: Dashboard, link: Link, currency: str) -> str:
    """Cases by remedy, by goodwill, and the loyalty that followed, four across."""
    panels = [
        _cases_panel(
            board,
            link,
            currency,
            "by_remedy",
            "Recovery cases by remedy",
            f"Cases opened in the period per remedy done, with the cost of their refunds in {currency}.",
        ),
        _cases_panel(
            board,
            link,
            currency,
            "by_goodwill",
            "Recovery cases by goodwill",
            f"The same cases per goodwill that followed the remedy (none: declined, remedy only or capped), "
            f"with its cost in {currency}.",
        ),
        *_loyalty_panels(board, link),
    ]
    return section("remedies", "Remedies and goodwill", grid(panels))
