import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.storage.models import Compensation, utcnow
from feedback.compensation import CATEGORIES, SEVERITIES, Offer, issue, load_policy
from tests.conftest import PROJECT_DIR
from tests.support.factories import add_conversation

POLICY = load_policy(PROJECT_DIR / "content" / "compensation.yml")


@pytest.fixture
def conversation_id(session_factory) -> int:
    with session_factory.begin() as session:
        return add_conversation(session, "angry-1").id


def issue_now(
    session_factory, conversation_id, key, category="late_delivery", severity="high", now=None, policy=POLICY
):
    with session_factory.begin() as session:
        result = issue(
            session,
            policy=policy,
            conversation_id=conversation_id,
            category=category,
            severity=severity,
            reason="parcel two weeks late",
            idempotency_key=key,
            now=now,
        )
        return result.created, result.capped, (result.compensation.code if result.compensation else None)


def ledger(session_factory) -> list[Compensation]:
    with session_factory() as session:
        return session.execute(select(Compensation).order_by(Compensation.id)).scalars().all()


def test_the_shipped_policy_covers_every_category_and_severity():
    for category in CATEGORIES:
        for severity in SEVERITIES:
            offer = POLICY.offer_for(category, severity)
            assert offer.amount_cents is None or isinstance(offer.amount_cents, int)


def test_issuing_twice_with_one_key_records_one_coupon(session_factory, conversation_id):
    first = issue_now(session_factory, conversation_id, "tap-1")
    again = issue_now(session_factory, conversation_id, "tap-1")
    assert first[0] is True and again[0] is False
    assert first[2] == again[2] and first[2].startswith("CX-")
    rows = ledger(session_factory)
    assert [(r.kind, r.percent, r.status, r.currency) for r in rows] == [("coupon_percent", 20, "issued", "EUR")]


def test_concurrent_retries_record_one_coupon(session_factory, conversation_id):
    codes, errors = [], []

    def tap():
        try:
            codes.append(issue_now(session_factory, conversation_id, "double-tap")[2])
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(codes)) == 1
    assert len(ledger(session_factory)) == 1


def test_offers_above_the_limit_wait_for_approval(session_factory, conversation_id):
    # The shipped goodwill has no replacement any more (it is a remedy now): one policy that has.
    policy = replace(POLICY, offers={**POLICY.offers, ("damaged_item", "high"): Offer("replacement")})
    issue_now(session_factory, conversation_id, "k1", category="damaged_item", severity="high", policy=policy)
    issue_now(session_factory, conversation_id, "k2", category="missing_item", severity="high")
    statuses = [(r.kind, r.amount_cents, r.status) for r in ledger(session_factory)]
    assert statuses == [("replacement", None, "pending_approval"), ("partial_refund", 2500, "pending_approval")]


def test_the_cap_per_customer_and_period(session_factory, conversation_id):
    long_ago = utcnow() - POLICY.period - timedelta(days=1)
    issue_now(session_factory, conversation_id, "old", now=long_ago)  # outside the period
    assert issue_now(session_factory, conversation_id, "a")[0] is True
    assert issue_now(session_factory, conversation_id, "b")[0] is True
    assert issue_now(session_factory, conversation_id, "c")[:2] == (False, True)
    assert len(ledger(session_factory)) == 3


def test_unknown_categories_fall_back_to_other(session_factory, conversation_id):
    issue_now(session_factory, conversation_id, "x", category="alien_invasion", severity="low")
    row = ledger(session_factory)[0]
    assert (row.category, row.kind, row.percent) == ("other", "coupon_percent", 10)


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("auto_approval_limit_cents: 100\noffers:\n  other:\n    low: {kind: cash}\n", "kind must be one of"),
        (
            "auto_approval_limit_cents: 100\noffers:\n  other:\n    low: {kind: coupon_percent, percent: 150}\n",
            "1 to 100",
        ),
        (
            "auto_approval_limit_cents: 100\noffers:\n  other:\n    low: {kind: partial_refund, amount_cents: 9.99}\n",
            "whole number of cents",
        ),
        ("auto_approval_limit_cents: 100\noffers:\n  lateness:\n    low: {kind: replacement}\n", "unknown category"),
        (
            "auto_approval_limit_cents: 100\noffers:\n  other:\n    low: {kind: replacement}\n",
            "needs low, medium and high",
        ),
    ],
)
def test_policy_mistakes_are_named(tmp_path, yaml_text, message):
    path = tmp_path / "compensation.yml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=message):
        load_policy(path)
