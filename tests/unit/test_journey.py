"""The journey map and feedback themes agree with a recomputation by hand on fixed data, and the
dashboard page shows them with drill-downs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.http_errors import json_errors
from bot.dashboard import routes as dashboard
from bot.storage.models import (
    Compensation,
    Conversation,
    Customer,
    HandoffRequest,
    Message,
    RecoveryCase,
    SurveyResponse,
)
from feedback.journey import build_journey
from feedback.metrics import Filters
from feedback.surveys.scores import CES_VALUES
from tests.support.content import PROJECT_DIR, project_content
from tests.support.dashboard_guard import stand_in_guard

SINCE = datetime(2026, 11, 2, tzinfo=timezone.utc)
UNTIL = SINCE + timedelta(days=7)
DAY = timedelta(days=1)
CES_KEYS = {score: key for key, score in CES_VALUES.items()}

# The fixed data: one dict per conversation, with the theme a person gives each comment.
CONVERSATIONS = [
    {"at": SINCE + DAY, "faq": ["order_status"], "sentiment": -0.4, "ces": -1, "handoffs": ["customer_request"]},
    {
        "at": SINCE + DAY,
        "faq": [],
        "sentiment": -0.6,
        "complaint": ("damaged_item", "the vase arrived broken and scratched", "item_condition"),
        "paid": ("damaged_item", 1500),
        "handoffs": ["compensation_approval"],
    },
    {
        "at": SINCE + 2 * DAY,
        "faq": ["payment_methods", "delivery_costs"],
        "sentiment": 0.3,
        "ces": 2,
        "nps": (10, "super fast delivery, it arrived the next day", "delivery_speed"),
    },
    {
        "at": SINCE + 3 * DAY,
        "faq": ["size_guide"],
        "sentiment": 0.1,
        "nps": (3, "your staff were rude to me", "staff_attitude"),
    },
    {"at": SINCE + 3 * DAY, "faq": ["size_guide"], "sentiment": None, "nps": (8, "I like turtles", "other")},
    {
        "at": SINCE + 4 * DAY,
        "faq": ["failed_payment"],
        "sentiment": -0.2,
        "ces": -2,
        "nps": (2, "خیلی گران است", "price"),
    },
    # The previous week: two delivery conversations, one of them on another channel.
    {"at": SINCE - 3 * DAY, "faq": ["order_status"], "sentiment": 0.0},
    {"at": SINCE - 2 * DAY, "faq": ["delivery_times"], "sentiment": 0.0},
]


def add(session) -> list[int]:
    ids = []
    for n, data in enumerate(CONVERSATIONS):
        customer = Customer(channel="widget", external_id=f"v{n}", first_seen=data["at"], last_seen=data["at"])
        session.add(customer)
        session.flush()
        conversation = Conversation(
            customer_id=customer.id,
            channel="widget",
            started_at=data["at"],
            last_activity_at=data["at"],
            sentiment_rolling=data["sentiment"],
            customer_message_count=1,
        )
        session.add(conversation)
        session.flush()
        ids.append(conversation.id)
        for topic in data["faq"]:
            session.add(Message(conversation_id=conversation.id, direction="customer", text="q", intent=f"faq/{topic}"))
        for reason in data.get("handoffs", []):
            session.add(HandoffRequest(conversation_id=conversation.id, reason=reason, status="resolved"))
        if "ces" in data:
            session.add(
                SurveyResponse(
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    kind="ces",
                    status="answered",
                    score=data["ces"],
                    answer=CES_KEYS[data["ces"]],
                    offered_at=data["at"],
                )
            )
        if "nps" in data:
            score, comment, _ = data["nps"]
            session.add(
                SurveyResponse(
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    kind="nps",
                    status="answered",
                    score=score,
                    comment=comment,
                    offered_at=data["at"],
                )
            )
        if "complaint" in data:
            category, description, _ = data["complaint"]
            session.add(
                RecoveryCase(
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    source="complaint",
                    category=category,
                    severity="medium",
                    description=description,
                    status="recovered",
                )
            )
        if "paid" in data:
            category, cents = data["paid"]
            session.add(
                Compensation(
                    code=f"C{n}",
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    kind="refund",
                    amount_cents=cents,
                    currency="EUR",
                    category=category,
                    severity="medium",
                    status="issued",
                    idempotency_key=f"k{n}",
                )
            )
    return ids


def recompute(stage: dict, since: datetime, until: datetime) -> dict:
    """The stage's numbers from the fixed data alone, as the formulas say."""

    def touches(data):
        complaint = data.get("complaint", (None,))[0]
        return (
            bool(set(data["faq"]) & set(stage.get("faq_topics") or []))
            or complaint in (stage.get("complaint_categories") or [])
            or bool(set(data.get("handoffs", [])) & set(stage.get("escalation_reasons") or []))
        )

    period = [d for d in CONVERSATIONS if since <= d["at"] < until]
    mine = [d for d in period if touches(d)]
    span = until - since
    before = [d for d in CONVERSATIONS if since - span <= d["at"] < since and touches(d)]
    ces = [d["ces"] for d in mine if "ces" in d]
    categories = stage.get("complaint_categories") or []
    return {
        "conversations": len(mine),
        "negative_share": sum(1 for d in mine if (d["sentiment"] or 0) < 0) / len(mine) if mine else None,
        "mean_ces": sum(ces) / len(ces) if ces else None,
        "escalations": sum(len(d.get("handoffs", [])) for d in mine),
        "complaints": sum(1 for d in period if d.get("complaint", (None,))[0] in categories),
        "compensation_cents": sum(d["paid"][1] for d in period if d.get("paid", (None,))[0] in categories),
        "previous_conversations": len(before),
    }


def test_the_journey_map_agrees_with_a_recomputation(session_factory):
    with session_factory.begin() as session:
        add(session)
    with session_factory() as session:
        journey = build_journey(session, Filters(since=SINCE, until=UNTIL), project_content().journey)
    stages = yaml.safe_load((PROJECT_DIR / "content" / "journey.yml").read_text(encoding="utf-8"))["stages"]
    assert [row.key for row in journey.stages] == [s["key"] for s in stages]
    for row, stage in zip(journey.stages, stages, strict=True):
        expected = recompute(stage, SINCE, UNTIL)
        got = {key: getattr(row, key) for key in expected}
        assert got == pytest.approx(expected), stage["key"]
    # The fixed data reaches every kind of number somewhere.
    delivery = next(r for r in journey.stages if r.key == "delivery")
    assert (delivery.conversations, delivery.previous_conversations, delivery.escalations) == (2, 2, 1)
    after = next(r for r in journey.stages if r.key == "after_delivery")
    assert (after.complaints, after.compensation_cents) == (1, 1500)


def test_feedback_themes_agree_with_the_labels_a_person_gives(session_factory):
    with session_factory.begin() as session:
        add(session)
    with session_factory() as session:
        journey = build_journey(session, Filters(since=SINCE, until=UNTIL), project_content().journey)
    expected: Counter = Counter()
    for data in CONVERSATIONS:
        if not SINCE <= data["at"] < UNTIL:
            continue
        if "nps" in data:
            score, _, theme = data["nps"]
            expected[theme, "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"] += 1
        if "complaint" in data:
            expected[data["complaint"][2], "complaints"] += 1
    got = Counter({(theme, group): n for theme, groups in journey.themes.items() for group, n in groups.items() if n})
    assert got == expected
    assert set(journey.themes) == {*project_content().journey.theme_names, "other"}


async def test_the_dashboard_shows_the_journey_and_drills_into_a_stage(session_factory):
    with session_factory.begin() as session:
        ids = add(session)
    app = web.Application(middlewares=[json_errors])
    guard = stand_in_guard(lambda request: "manager")
    dashboard.add_routes(app, guard, session_factory, currency="EUR", journey=project_content().journey)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/dashboard?since=2026-11-02&until=2026-11-09")).text()
        assert 'id="journey"' in page and "After delivery (returns, warranty, account)" in page
        assert "Themes: detractors" in page and "Stage mean CES" in page
        # The follow-up figures sit next to the recovery figures (none sent in this data).
        assert 'id="followups"' in page and 'follow-ups sent</td><td class="num">0<' in page
        response = await client.get("/dashboard/conversations?since=2026-11-02&until=2026-11-09&drill=journey:delivery")
        assert response.status == 200
        listing = await response.text()
        assert all(f"/dashboard/conversations/{cid}" in listing for cid in ids[:1] + ids[2:3])
        assert f"/dashboard/conversations/{ids[1]}" not in listing
        missing = await client.get("/dashboard/conversations?since=2026-11-02&until=2026-11-09&drill=theme:nonsense")
        assert missing.status == 404
