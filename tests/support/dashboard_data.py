"""Fixed rows for the dashboard tests: known answers on known days in two channels.

`FIXED` is the plain description the tests recompute the numbers from, independently of the
code under test; `add_fixed_data` writes it to a database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.storage.models import Compensation, Conversation, Customer, HandoffRequest, Message, SurveyResponse
from tests.support.factories import add_complaint_case

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
SINCE = datetime(2026, 11, 2, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 9, tzinfo=timezone.utc)
XSS_QUESTION = "<script>alert('x')</script> do you sell gift wrapping?"
NOT_UNDERSTOOD_REPLY = "Sorry, I'm not sure I understood. Did you mean one of these?"
CES_VALUE = {"very_easy": 2, "easy": 1, "neutral": 0, "difficult": -1, "very_difficult": -2}

# One dict per conversation: channel, day offset from T0, the customer's message polarities
# (None: a button tap), intents, surveys (kind, status, value, handled_by), handoffs
# (reason, minutes to close or None), compensation (category, cents, percent, status), complaint
# (category, status).
FIXED = [
    dict(
        name="a",
        channel="widget",
        day=0,
        polarities=[0.5, None],
        intents=["faq/order_status", "affirm"],
        surveys=[("ces", "answered", "very_easy", "bot"), ("csat", "answered", 7, "bot")],
    ),
    dict(
        name="b",
        channel="widget",
        day=1,
        polarities=[-0.6, None],
        intents=["complain_late_delivery", "nlu_fallback"],
        texts=["my parcel is late", "4829173"],
        complaint=("late_delivery", "recovered"),
        compensation=[("late_delivery", None, 20, "issued")],
        surveys=[("ces", "answered", "easy", "bot"), ("nps", "answered", 9, "bot")],
    ),
    dict(
        name="c",
        channel="telegram",
        day=1,
        polarities=[-0.8, -0.4],
        intents=["complain_damaged_item", None],
        complaint=("damaged_item", "declined"),
        compensation=[("damaged_item", 1500, None, "declined")],
        surveys=[("nps", "answered", 3, "bot")],
        handoffs=[("nps_detractor", 45)],
    ),
    dict(
        name="d",
        channel="telegram",
        day=2,
        polarities=[0.1, 0.0],
        intents=["faq/payment_methods", "deny"],
        surveys=[("nps", "answered", 10, "bot"), ("ces", "skipped", None, "bot")],
    ),
    dict(
        name="e",
        channel="widget",
        day=2,
        polarities=[-0.3],
        intents=["request_human"],
        handoffs=[("customer_request", None)],
        surveys=[("ces", "answered", "difficult", "alice"), ("csat", "answered", 4, "alice")],
    ),
    dict(
        name="f",
        channel="rest",
        day=3,
        polarities=[0.0, 0.2],
        intents=["nlu_fallback", "nlu_fallback"],
        texts=["Do you sell gift wrapping?", XSS_QUESTION],
        handoffs=[("repeated_fallback", 10)],
    ),
    dict(
        name="g",
        channel="widget",
        day=4,
        polarities=[0.3],
        intents=["nlu_fallback"],
        texts=["do you sell GIFT wrapping"],
        surveys=[("nps", "answered", 6, "bot"), ("csat", "offered", None, "bot")],
    ),
    dict(
        name="h",
        channel="telegram",
        day=5,
        polarities=[0.4],
        intents=["faq/delivery_times"],
        surveys=[("nps", "answered", 8, "bob"), ("ces", "answered", "neutral", "bob")],
        compensation=[("late_delivery", 495, None, "issued"), ("other", 2500, None, "pending_approval")],
    ),
    dict(
        name="i",
        channel="widget",
        day=6,
        polarities=[-0.9],
        intents=["nlu_fallback"],
        texts=["can I pay with bitcoin"],
        surveys=[("nps", "offered", None, "bot")],
    ),
    # Outside the period (the week after): must not count.
    dict(
        name="later",
        channel="widget",
        day=8,
        polarities=[-1.0],
        intents=["nlu_fallback"],
        texts=["later question"],
        surveys=[("nps", "answered", 0, "bot")],
        handoffs=[("customer_request", 5)],
        compensation=[("other", 999, None, "issued")],
    ),
    # The week before (26 Oct - 1 Nov), the period the dashboard compares the fixed week with.
    dict(
        name="p1",
        channel="widget",
        day=-6,
        polarities=[-0.5],
        intents=["faq/order_status"],
        surveys=[("nps", "answered", 10, "bot"), ("csat", "answered", 6, "bot"), ("ces", "answered", "easy", "bot")],
        handoffs=[("customer_request", 30)],
    ),
    dict(
        name="p2",
        channel="telegram",
        day=-4,
        polarities=[-0.7],
        intents=["request_human"],
        surveys=[("nps", "answered", 7, "bot"), ("ces", "answered", "very_easy", "bot")],
        handoffs=[("nps_detractor", 20)],
    ),
    dict(
        name="p3",
        channel="widget",
        day=-2,
        polarities=[0.1],
        intents=["nlu_fallback"],
        texts=["where is the shop"],
        surveys=[("csat", "answered", 7, "bot")],
        handoffs=[("repeated_fallback", 5), ("customer_request", 15)],
        compensation=[("late_delivery", 495, None, "issued")],
    ),
]


def conversations_in_period(channel=None, first_day=0):
    """The specs of the week starting `first_day` days after T0 (-7: the week before)."""
    return [c for c in FIXED if first_day <= c["day"] < first_day + 7 and (channel is None or c["channel"] == channel)]


def add_fixed_data(session) -> dict[str, int]:
    """Write FIXED; returns conversation ids by name."""
    ids = {}
    for number, spec in enumerate(FIXED):
        at = T0 + timedelta(days=spec["day"], minutes=number)
        customer = Customer(channel=spec["channel"], external_id=spec["name"], first_seen=at, last_seen=at)
        session.add(customer)
        session.flush()
        conversation = Conversation(
            customer_id=customer.id,
            channel=spec["channel"],
            customer_message_count=0,
            started_at=at,
            last_activity_at=at,
            public_id=f"fixed-{spec['name']}",
        )
        session.add(conversation)
        session.flush()
        ids[spec["name"]] = conversation.id
        if spec.get("complaint"):
            category, status = spec["complaint"]
            add_complaint_case(
                session, conversation, category, status, severity="medium", created_at=at - timedelta(minutes=1)
            )
        texts = spec.get("texts") or []
        for index, (polarity, intent) in enumerate(zip(spec["polarities"], spec["intents"], strict=False)):
            text = texts[index] if index < len(texts) else ("/affirm" if polarity is None else f"message {index}")
            message = Message(
                conversation_id=conversation.id,
                direction="customer",
                text=text,
                polarity=polarity,
                intent=intent,
                handled=True,
                created_at=at + timedelta(seconds=index),
            )
            session.add(message)
            session.flush()
            # A fallback read that a form accepted (an order number) gets an ordinary reply: understood.
            # The bot message stores the response that produced it, as the router stores Rasa's.
            fallback = intent == "nlu_fallback" and not text.isdigit()
            reply, response = (NOT_UNDERSTOOD_REPLY, "utter_did_you_mean") if fallback else ("ok", None)
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction="bot",
                    text=reply,
                    response=response,
                    reply_to_id=message.id,
                    handled=True,
                    created_at=at + timedelta(seconds=index),
                )
            )
        for kind, status, value, handled_by in spec.get("surveys", []):
            survey = SurveyResponse(
                conversation_id=conversation.id,
                customer_id=customer.id,
                kind=kind,
                status=status,
                handled_by=handled_by,
                offered_at=at + timedelta(minutes=2),
            )
            if status == "answered":
                survey.answered_at = at + timedelta(minutes=3)
                survey.score = CES_VALUE[value] if kind == "ces" else value
                survey.answer = value if kind == "ces" else None
            session.add(survey)
        for reason, minutes in spec.get("handoffs", []):
            session.add(
                HandoffRequest(
                    conversation_id=conversation.id,
                    reason=reason,
                    status="open" if minutes is None else "resolved",
                    created_at=at,
                    claimed_at=None if minutes is None else at + timedelta(minutes=min(7, minutes)),
                    closed_at=None if minutes is None else at + timedelta(minutes=minutes),
                )
            )
        for index, (category, cents, percent, status) in enumerate(spec.get("compensation", [])):
            session.add(
                Compensation(
                    code=f"CX-{spec['name']}{index}",
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    kind="coupon_percent" if percent else "partial_refund",
                    amount_cents=cents,
                    percent=percent,
                    currency="EUR",
                    category=category,
                    severity="medium",
                    reason="",
                    status=status,
                    idempotency_key=f"{spec['name']}{index}",
                    created_at=at,
                )
            )
    session.flush()
    return ids
