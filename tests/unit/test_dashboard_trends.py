"""The dashboard's cards compare each headline number with the previous period of the same length:
the numbers of both periods, recomputed by hand from the fixed rows, and whether each change is good;
and the words the page uses for periods, sentiment and drill-downs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.dashboard.wording import drill_title, fmt_period
from feedback.metrics import Filters, build_dashboard
from feedback.metrics.trends import Change, previous_period, sentiment_label
from feedback.reports import build_report, render
from tests.support.dashboard_data import CES_VALUE, SINCE, UNTIL, add_fixed_data, conversations_in_period


def by_hand(first_day: int, channel: str | None = None) -> dict[str, float | None]:
    """The seven headline numbers of the week starting `first_day` days after T0, from FIXED alone."""
    specs = conversations_in_period(channel, first_day)
    answers = [
        (kind, value) for spec in specs for kind, status, value, _ in spec.get("surveys", []) if status == "answered"
    ]
    nps = [v for k, v in answers if k == "nps"]
    ces = [CES_VALUE[v] for k, v in answers if k == "ces"]
    csat = [v for k, v in answers if k == "csat"]
    polarities = [p for spec in specs for p in spec["polarities"] if p is not None]
    money = [c[1] or 0 for spec in specs for c in spec.get("compensation", []) if c[3] != "declined"]
    return {
        "nps": 100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps) if nps else None,
        "csat": sum(csat) / len(csat) if csat else None,
        "ces": sum(ces) / len(ces) if ces else None,
        "sentiment": sum(polarities) / len(polarities) if polarities else None,
        "escalations": sum(len(spec.get("handoffs", [])) for spec in specs),
        "compensation": sum(money),
        "conversations": len(specs),
    }


@pytest.fixture
def fixed(session_factory):
    with session_factory.begin() as session:
        return add_fixed_data(session)


@pytest.mark.parametrize("channel", [None, "widget", "telegram"])
def test_each_card_compares_with_the_week_before(session_factory, fixed, channel):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL, channel))
    now, before = by_hand(0, channel), by_hand(-7, channel)
    assert board.previous_filters == Filters(SINCE - timedelta(days=7), SINCE, channel)
    assert list(board.changes) == list(now)  # the cards' order
    for key, change in board.changes.items():
        assert change.current == pytest.approx(now[key]), key
        assert change.previous == pytest.approx(before[key]), key
        if now[key] is not None and before[key] is not None:
            assert change.delta == pytest.approx(now[key] - before[key]), key


def test_the_fixed_weeks_moved_as_a_manager_would_read_them(session_factory, fixed):
    """NPS +50 -> 0, CSAT 6.5 -> 5.5, CES 1.5 -> 0.5: worse; sentiment -0.37 -> -0.13 and four
    escalations -> three: better; compensation EUR 4.95 -> 29.95: worse; 3 -> 9 conversations: neither."""
    with session_factory() as session:
        changes = build_dashboard(session, Filters(SINCE, UNTIL)).changes
    seen = {key: (c.direction, c.verdict) for key, c in changes.items()}
    assert seen == {
        "nps": ("down", "bad"),
        "csat": ("down", "bad"),
        "ces": ("down", "bad"),
        "sentiment": ("up", "good"),
        "escalations": ("down", "good"),
        "compensation": ("up", "bad"),
        "conversations": ("up", "neutral"),
    }


@pytest.mark.parametrize(
    "since, until, previous_since",
    [
        (datetime(2026, 10, 1), datetime(2026, 11, 1), datetime(2026, 8, 31)),  # 31 days: 31 Aug - 30 Sep
        (datetime(2026, 3, 1), datetime(2026, 3, 2), datetime(2026, 2, 28)),
        (datetime(2026, 1, 5, 12), datetime(2026, 1, 6, 6), datetime(2026, 1, 4, 18)),  # times, not days
    ],
)
def test_the_previous_period_is_as_long_and_ends_where_this_one_starts(since, until, previous_since):
    utc = timezone.utc
    filters = Filters(since.replace(tzinfo=utc), until.replace(tzinfo=utc), "widget")
    before = previous_period(filters)
    assert before == Filters(previous_since.replace(tzinfo=utc), since.replace(tzinfo=utc), "widget")
    assert before.until - before.since == filters.until - filters.since


@pytest.mark.parametrize(
    "current, previous, better, step, direction, verdict",
    [
        (10.0, 5.0, "higher", 0.1, "up", "good"),
        (5.0, 10.0, "higher", 0.1, "down", "bad"),
        (3, 5, "lower", 1, "down", "good"),
        (5, 3, "lower", 1, "up", "bad"),
        (7, 3, None, 1, "up", "neutral"),
        (-0.006, -0.004, "higher", 0.01, "flat", "neutral"),  # smaller than the shown step
        (0.5, None, "higher", 0.01, "none", "neutral"),
        (None, 0.5, "higher", 0.01, "none", "neutral"),
    ],
)
def test_direction_and_verdict(current, previous, better, step, direction, verdict):
    change = Change("k", "K", current, previous, better, step)
    assert (change.direction, change.verdict) == (direction, verdict)


@pytest.mark.parametrize(
    "polarity, label",
    [
        (-0.9, "very negative"),
        (-0.5, "negative"),
        (-0.06, "negative"),
        (-0.006, "neutral"),
        (0.05, "neutral"),
        (0.2, "positive"),
        (0.5, "very positive"),
    ],
)
def test_sentiment_reads_as_words(polarity, label):
    assert sentiment_label(polarity) == label


def test_the_text_report_names_ces_answers_in_words(session_factory, fixed):
    with session_factory() as session:
        table = render(build_report(session, since=SINCE, until=UNTIL), "table")
    assert re.search(r"^CES +0\.50 \(very easy 1, easy 1, neutral 1, difficult 1\)$", table, re.M)
    assert "{'" not in table and "': " not in table


@pytest.mark.parametrize(
    "since, until, shown",
    [
        (datetime(2026, 10, 1), datetime(2026, 11, 1), "1-31 Oct 2026"),
        (datetime(2026, 10, 8), datetime(2026, 10, 9), "8 Oct 2026"),
        (datetime(2026, 10, 26), datetime(2026, 11, 2), "26 Oct - 1 Nov 2026"),
        (datetime(2026, 12, 28), datetime(2027, 1, 4), "28 Dec 2026 - 3 Jan 2027"),
        (datetime(2026, 1, 5, 12), datetime(2026, 1, 6, 6), "5 Jan 2026 12:00 - 6 Jan 2026 06:00 UTC"),
    ],
)
def test_periods_read_as_days(since, until, shown):
    assert fmt_period(since.replace(tzinfo=timezone.utc), until.replace(tzinfo=timezone.utc)) == shown


def test_drill_down_headings_read_as_words():
    assert drill_title("nps:2026-11-03") == "NPS, 3 Nov 2026"
    assert drill_title("escalation:customer_request") == "escalation, customer request"
    assert drill_title("topic:complaint: late_delivery:2026-11-03") == "topic, complaint, late delivery, 3 Nov 2026"
