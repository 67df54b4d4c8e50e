"""The dashboard as one self-contained HTML page (inline CSS and SVG, no script), used by the web
dashboard and by `cxbot report --format html`; and the drill-down pages behind its numbers."""

from __future__ import annotations

from collections.abc import Callable

from bot.dashboard.layout import anchor, fmt_number, html_page, table
from bot.dashboard.sections import (
    Link,
    compensation_section,
    distributions_section,
    escalations_section,
    fallbacks_section,
    handlers_section,
    headline_section,
    recovery_section,
    scores_section,
    sentiment_section,
    short_label,
    summary_section,
)
from bot.dashboard.svg import escape
from feedback.metrics import Dashboard


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
    x = [short_label(label, board.bucket) for label in board.buckets]
    channel = f.channel or "all channels"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Period {escape(f.since.isoformat())} to {escape(f.until.isoformat())} (until exclusive), '
        f"{escape(channel)}; one point per {escape(board.bucket)} (UTC).</p>",
        form,
        exports,
        headline_section(board, link),
        summary_section(board),
        scores_section(board, link, x),
        distributions_section(board, link),
        sentiment_section(board, link, x),
        escalations_section(board, link),
        compensation_section(board, link),
        recovery_section(board, link),
        handlers_section(board, link),
        fallbacks_section(board, link),
        '<section id="formulas"><h2>Formulas</h2><ul class="formulas">'
        + "".join(f"<li>{escape(formula)}</li>" for formula in board.formulas)
        + "</ul></section>",
    ]
    return html_page(title, "".join(parts))


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
