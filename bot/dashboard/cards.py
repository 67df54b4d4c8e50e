"""The headline cards (each number with its change against the previous period of the same length)
and the summary table that says the same in words."""

from __future__ import annotations

from collections.abc import Callable

from bot.dashboard.layout import anchor, fmt_nps, fmt_number, fmt_share, table
from bot.dashboard.svg import escape
from bot.dashboard.wording import fmt_money, fmt_period, fmt_sentiment, words
from feedback.metrics import Dashboard
from feedback.metrics.trends import Change
from feedback.surveys.scores import CES_VALUES

Link = Callable[[str], str | None]
ARROWS = {"up": "▲", "down": "▼", "flat": "●", "none": ""}
VERDICT_WORDS = {"good": "better", "bad": "worse", "neutral": ""}


# The number behind a survey card: the conversations of the period's surveys.
DRILLS = {"nps": "all-surveys", "csat": "all-surveys", "ces": "all-surveys"}


def value_formats(currency: str) -> dict[str, Callable[[float], str]]:
    """How each card shows its number, now and before."""
    return {
        "nps": lambda v: f"{v:+.0f}",
        "csat": lambda v: f"{v:.1f}",
        "ces": lambda v: f"{v:+.2f}",
        "sentiment": fmt_sentiment,
        "escalations": lambda v: f"{v:.0f}",
        "compensation": lambda v: fmt_money(int(v), currency),
        "conversations": lambda v: f"{v:.0f}",
    }


def delta_formats(currency: str) -> dict[str, Callable[[float], str]]:
    """How each card shows its change, always signed."""
    return {
        "nps": lambda v: f"{v:+.0f}",
        "csat": lambda v: f"{v:+.1f}",
        "ces": lambda v: f"{v:+.2f}",
        "sentiment": lambda v: f"{v:+.2f}",
        "escalations": lambda v: f"{v:+.0f}",
        "compensation": lambda v: ("+" if v > 0 else "-") + fmt_money(abs(int(v)), currency),
        "conversations": lambda v: f"{v:+.0f}",
    }


def _notes(board: Dashboard) -> dict[str, str]:
    """What each card's number rests on, and its scale."""
    t = board.totals
    return {
        "nps": f"-100 to +100; {t.nps_promoters} promoters, {t.nps_passives} passives, {t.nps_detractors} detractors",
        "csat": f"1 to 7; {fmt_share(t.csat_satisfied_share)} satisfied (6-7), {t.answered['csat']} answers",
        "ces": f"-2 very difficult to +2 very easy; {t.answered['ces']} answers",
        "sentiment": f"mean polarity, -1 to +1 (-0.05 to +0.05 neutral); {fmt_share(t.sentiment_negative_share)} of "
        f"{t.customer_messages} messages negative",
        "escalations": "requests for a person; " + (", ".join(f"{words(r)} {n}" for r, n in _reasons(board)) or "none"),
        "compensation": f"{t.compensations} issued or pending; {t.percent_coupons} percent coupons not valued",
        "conversations": f"started in the period; {t.not_understood} messages not understood",
    }


def _reasons(board: Dashboard) -> list[tuple[str, int]]:
    return sorted(board.totals.escalations_by_reason.items())


def _change_line(change: Change, fmt_value, fmt_delta, before: str) -> str:
    was = "n/a" if change.previous is None else fmt_value(change.previous)
    tip = f"{before}: {was}"
    if change.current is None and change.previous is None:
        text = "no data in either period"
    elif change.current is None:
        text = f"no data now · was {was}"
    elif change.previous is None:
        text = "nothing before to compare with"
    elif change.direction == "flat":
        text = f"no change (was {was})"
    else:
        verdict = VERDICT_WORDS[change.verdict]
        text = f"{fmt_delta(change.delta)}{f' ({verdict})' if verdict else ''} · was {was}"
        tip += f"; {'higher' if change.better == 'higher' else 'lower'} is better" if change.better else ""
    arrow = ARROWS[change.direction]
    shown = f'<span class="arrow" aria-hidden="true">{arrow}</span> ' if arrow else ""
    return f'<p class="change {change.verdict} {change.direction}" title="{escape(tip)}">{shown}{escape(text)}</p>'


def headline_section(board: Dashboard, link: Link, currency: str) -> str:
    """One card per headline number: the value, its change against the previous period, what it rests on."""
    before = fmt_period(board.previous_filters.since, board.previous_filters.until)
    values, deltas, notes = value_formats(currency), delta_formats(currency), _notes(board)
    cards = []
    for key, change in board.changes.items():
        value = "n/a" if change.current is None else values[key](change.current)
        drill = DRILLS.get(key)
        cards.append(
            f'<div class="card {change.verdict}" id="card-{key}"><h3>{escape(change.name)}</h3>'
            f'<p class="value">{anchor(value, link(drill) if drill else None)}</p>'
            + _change_line(change, values[key], deltas[key], before)
            + f'<p class="note">{escape(notes[key])}</p></div>'
        )
    return (
        f'<section id="headline" aria-label="Headline numbers"><p class="compare">Compared with {escape(before)}, '
        "the period of the same length just before.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _nps_people(row: dict) -> str:
    """Each person's latest NPS answer: linked channel identities count once."""
    return (
        f"{fmt_nps(row['nps'])} ({row['people']} people: promoters {row['promoters']}, passives {row['passives']}, "
        f"detractors {row['detractors']})"
    )


def summary_rows(board: Dashboard, currency: str) -> list[tuple[str, str]]:
    """The period's numbers in words: the table beside the cards, and the PDF's first page."""
    t, f = board.totals, board.filters
    ces = ", ".join(f"{words(a)} {t.ces_distribution[a]}" for a in CES_VALUES if t.ces_distribution.get(a))
    rates = ", ".join(
        f"{k.upper()} {fmt_share(t.response_rates[k])} ({t.answered[k]}/{t.offered[k]})" for k in ("nps", "ces", "csat")
    )
    escalations = sum(t.escalations_by_reason.values())
    return [
        ("Period", f"{fmt_period(f.since, f.until)}, {f.channel or 'all channels'}"),
        (
            "NPS",
            f"{fmt_nps(t.nps)} (promoters {t.nps_promoters}, passives {t.nps_passives}, detractors {t.nps_detractors})",
        ),
        ("NPS per person", _nps_people(t.nps_people)),
        ("CES", f"{fmt_number(t.ces, '{:+.2f}')}" + (f" ({ces})" if ces else "")),
        ("CSAT", f"{fmt_number(t.csat)} (satisfied {fmt_share(t.csat_satisfied_share)})"),
        ("Response rates", rates),
        (
            "Sentiment",
            f"{fmt_sentiment(t.sentiment_mean)}; {fmt_share(t.sentiment_negative_share)} of "
            f"{t.customer_messages} messages negative",
        ),
        (
            "Escalations",
            f"{escalations}" + (": " + ", ".join(f"{words(r)} {n}" for r, n in _reasons(board)) if escalations else ""),
        ),
        (
            "Compensation",
            f"{t.compensations} ({fmt_money(t.compensation_value_cents, currency)} in money, "
            f"{t.percent_coupons} percent coupons)",
        ),
        ("Conversations", f"{t.conversations} started; {t.not_understood} messages not understood"),
    ]


def summary_section(board: Dashboard, currency: str) -> str:
    rows = [[escape(name), escape(value)] for name, value in summary_rows(board, currency)]
    numbers = table(["metric", "value"], rows, numeric_from=2)
    return f'<section id="summary"><h2>Summary</h2><div class="panel">{numbers}</div></section>'
