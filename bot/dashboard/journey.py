"""The journey map (a heatmap: one row per stage, each cell shaded by its column's worst value)
and the feedback themes by NPS group, as a dashboard section in the page's cards-and-panels style."""

from __future__ import annotations

from bot.dashboard.charts import Bar, hbar_chart
from bot.dashboard.layout import anchor, fmt_number, fmt_share, table
from bot.dashboard.sections import SMALL, Link, grid, panel, section
from bot.dashboard.svg import escape
from bot.dashboard.wording import fmt_money
from bot.followup.report import FollowUpFigures
from feedback.journey import GROUPS, Journey, StageRow

HEAT = "213, 94, 0"  # the palette's vermillion: darker is worse
FORMULAS = (
    "Journey stage conversations = conversations started in the period with an FAQ topic, complaint category or "
    "escalation reason of the stage (content/journey.yml); one conversation may touch several stages.",
    "Stage negative share = conversations of the stage whose rolling customer sentiment is below 0 / the stage's "
    "conversations.",
    "Stage mean CES = mean of the answered CES scores (-2..+2) in the stage's conversations; shaded darker when lower.",
    "Stage trend = the stage's conversations against the previous period of the same length.",
    "Feedback themes = NPS reasons, survey comments and complaint descriptions of the period's conversations, each "
    "assigned to the theme whose example phrases it is closest to (TF-IDF, as the assistant reads messages), "
    "'other' below the confidence threshold; counted per NPS group.",
)


def _trend(row: StageRow) -> str:
    if not row.previous_conversations:
        return "new" if row.conversations else "-"
    change = (row.conversations - row.previous_conversations) / row.previous_conversations
    return f"{change:+.0%}"


def _cell(text: str, heat: float | None) -> str:
    """A heatmap cell: the value, on a background whose strength is `heat` (0..1)."""
    if heat is None or heat <= 0:
        return text
    return f'<span class="heat" style="background: rgba({HEAT}, {min(heat, 1) * 0.6:.2f})">{text}</span>'


def _share(value: float, largest: float) -> float | None:
    return value / largest if largest else None


def heatmap(journey: Journey, link: Link, currency: str) -> str:
    rows = journey.stages
    most = {
        "conversations": max((r.conversations for r in rows), default=0),
        "escalations": max((r.escalations for r in rows), default=0),
        "complaints": max((r.complaints for r in rows), default=0),
        "cost": max((r.compensation_cents for r in rows), default=0),
    }
    body = [
        [
            anchor(r.name, link(f"journey:{r.key}") if r.conversations else None),
            _cell(str(r.conversations), _share(r.conversations, most["conversations"])),
            escape(_trend(r)),
            _cell(fmt_share(r.negative_share), r.negative_share),
            # CES runs from +2 (very easy) to -2 (very difficult): darker as it falls.
            _cell(escape(fmt_number(r.mean_ces, "{:+.2f}")), None if r.mean_ces is None else (2 - r.mean_ces) / 4),
            _cell(str(r.escalations), _share(r.escalations, most["escalations"])),
            _cell(str(r.complaints), _share(r.complaints, most["complaints"])),
            _cell(escape(fmt_money(r.compensation_cents, currency)), _share(r.compensation_cents, most["cost"])),
        ]
        for r in rows
    ]
    headers = ["stage", "conversations", "trend", "negative", "mean CES", "escalations", "complaints", "compensation"]
    # A "sheet", not a "panel": the table is the figure itself, with no chart to fold numbers under.
    return f'<figure class="sheet heatmap"><figcaption>Journey map</figcaption>{table(headers, body)}</figure>'


def themes_panels(journey: Journey, link: Link) -> list[str]:
    """One small multiple per group: what promoters praise, what detractors complain about, ..."""
    panels = []
    for group in GROUPS:
        counts = [(theme, groups[group]) for theme, groups in journey.themes.items()]
        total = sum(n for _, n in counts)
        if not total:
            continue
        bars = [
            Bar(journey.theme_names[theme], float(n), link(f"theme:{theme}") if n else None, f"{n / total:.0%}")
            for theme, n in counts
        ]
        chart = hbar_chart(
            f"Themes: {group}",
            f"How many {group} texts fall in each feedback theme.",
            bars,
            fmt=lambda v: f"{v:.0f}",
            width=SMALL[0],
            label_width=120,
        )
        rows = [[anchor(b.label, b.href), f"{b.value:.0f}"] for b in bars]
        panels.append(panel(chart, table(["theme", "texts"], rows)))
    return panels


def journey_section(journey: Journey, link: Link, currency: str) -> str:
    formulas = '<ul class="formulas">' + "".join(f"<li>{escape(f)}</li>" for f in FORMULAS) + "</ul>"
    panels = themes_panels(journey, link) or ['<p class="empty">No comments or complaint descriptions yet.</p>']
    return section(
        "journey", "Journey map and feedback themes", heatmap(journey, link, currency), grid(panels), formulas
    )


def followup_section(figures: FollowUpFigures) -> str:
    """Follow-ups next to the recovery figures: did the recovery hold a few days later?"""
    rate, csat = figures.not_resolved_rate, figures.csat_mean
    rows = [
        ["follow-ups sent", str(figures.sent)],
        ["answered", str(figures.answered)],
        ['"not resolved" rate', escape(fmt_share(rate))],
        ["CSAT after follow-up (1-7)", escape(f"{fmt_number(csat, '{:.1f}')} (n={len(figures.csat_scores)})")],
    ]
    formulas = (
        'Follow-ups sent = check-ins sent (Telegram) or shown (widget) in the period; "not resolved" rate = "no" '
        "answers / answers (yes, no, stop); CSAT after follow-up = mean of the CSAT answers given after a yes."
    )
    return section(
        "followups",
        "Follow-up after recovery",
        f'<figure class="sheet">{table(["", "value"], rows)}</figure>',
        f'<ul class="formulas"><li>{escape(formulas)}</li></ul>',
    )
