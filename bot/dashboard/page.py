"""The dashboard as one self-contained HTML page (inline CSS and SVG, no script), used by the web
dashboard and by `cxbot report --format html`; and the drill-down pages behind its numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.dashboard.breakdowns import escalations_section, fallbacks_section, recovery_section
from bot.dashboard.cards import headline_section, summary_section
from bot.dashboard.journey import followup_section, journey_section
from bot.dashboard.layout import anchor, fmt_number, html_page, table
from bot.dashboard.remedies import remedies_section
from bot.dashboard.sections import Link, distributions_section, scores_section, sentiment_section
from bot.dashboard.svg import escape
from bot.dashboard.wording import bucket_label, fmt_day, fmt_period
from bot.followup.report import FollowUpFigures
from feedback.journey import Journey
from feedback.metrics import Dashboard

# The page's sections, for the filter bar's jump links.
SECTIONS = (
    ("headline", "Headline"),
    ("scores", "Scores"),
    ("distributions", "Distributions"),
    ("sentiment", "Sentiment"),
    ("escalations", "Escalations"),
    ("compensation", "Compensation"),
    ("recovery", "Recovery"),
    ("remedies", "Remedies"),
    ("fallbacks", "Not understood"),
    ("formulas", "Formulas"),
)


def render_dashboard(
    board: Dashboard,
    *,
    currency: str,
    link: Link = lambda key: None,
    form: str = "",
    exports: str = "",
    title: str = "Customer experience dashboard",
    journey: Journey | None = None,
    followups: FollowUpFigures | None = None,
) -> str:
    """The whole page; `link` turns a number's drill key into the href of its conversations,
    `currency` (compensation.yml's) names the money; `journey` and `followups`, when given, add
    the journey map and the follow-up figures."""
    f = board.filters
    x = [bucket_label(label, board.bucket) for label in board.buckets]
    points = "one point per day" if board.bucket == "day" else "one point per week (Monday to Sunday)"
    sections = SECTIONS if journey is None else (*SECTIONS[:4], ("journey", "Journey"), *SECTIONS[4:])
    if followups is not None:
        at = [key for key, _ in sections].index("recovery") + 1
        sections = (*sections[:at], ("followups", "Follow-up"), *sections[at:])
    jumps = "".join(f'<a href="#{key}">{name}</a>' for key, name in sections)
    parts = [
        f'<header class="top"><h1>{escape(title)}</h1>'
        f'<p class="meta">{escape(fmt_period(f.since, f.until))}, {escape(f.channel or "all channels")}; '
        f"{points}, UTC.</p></header>",
        f'<div class="filterbar" role="search">{form}<nav aria-label="Sections">{jumps}</nav>{exports}</div>',
        headline_section(board, link, currency),
        scores_section(board, link, x),
        distributions_section(board, link),
        sentiment_section(board, link, x),
        journey_section(journey, link, currency) if journey is not None else "",
        escalations_section(board, link, currency, summary_section(board, currency)),
        recovery_section(board, link),
        remedies_section(board, link, currency),
        followup_section(followups) if followups is not None else "",
        fallbacks_section(board, link),
        '<section id="formulas"><h2>Formulas</h2><ul class="formulas">'
        + "".join(f"<li>{escape(formula)}</li>" for formula in board.formulas)
        + "</ul></section>",
    ]
    return html_page(title, "".join(parts))


def _started(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{fmt_day(moment)} {moment:%H:%M}"


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
            anchor(row["conversation_public_id"], transcript(row["conversation_id"])),
            escape(row["channel"]),
            escape(_started(row["started_at"])),
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
        f'<p class="meta">{len(rows)} conversations</p>' + table(headers, body_rows, numeric_from=4)
    )
    return html_page(title, body)


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
        + table(["time", "from", "text", "intent", "polarity"], rows, numeric_from=4)
    )
    return html_page(title, body)
