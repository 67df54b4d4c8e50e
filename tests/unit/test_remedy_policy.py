"""The remedies in content YAML are checked at start-up, and amounts are read only as typed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.app.content import ContentError, load_content
from feedback.amounts import parse_amount
from feedback.compensation import CATEGORIES
from feedback.recovery import REMEDY_MESSAGES
from tests.support.content import PROJECT_DIR, project_content


@pytest.fixture
def content_dir(tmp_path) -> Path:
    return Path(shutil.copytree(PROJECT_DIR / "content", tmp_path / "content"))


def edit(path: Path, old: str, new: str) -> int:
    """Replace one line of a content file; returns the line number of `remedies:` there."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text[: text.index("\nremedies:")].count("\n") + 2


def test_every_category_has_a_remedy_and_rude_staff_gets_no_goodwill():
    policy = project_content().compensation
    assert set(policy.remedies) == set(CATEGORIES)
    assert policy.remedy_for("billing_error").action == "refund_overcharge"
    assert policy.remedy_for("rude_staff").goodwill is False
    assert policy.remedy_for("wrong_item").prepaid_return is True


def test_a_category_without_a_remedy_is_named_with_its_place(content_dir):
    path = content_dir / "compensation.yml"
    line = edit(path, "  rude_staff: {action: staff_report, goodwill: none}\n", "")
    with pytest.raises(ContentError) as refused:
        load_content(content_dir)
    assert str(refused.value) == (
        f"{path}: remedies (line {line}): rude_staff has no remedy; every complaint category needs one"
    )


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "  rude_staff: {action: staff_report, goodwill: none}",
            "  rude_staff: {action: coupon, goodwill: none}",
            "remedies.rude_staff.action must be one of refund_overcharge, ",
        ),
        (
            "  rude_staff: {action: staff_report, goodwill: none}",
            "  rude_staff: {action: staff_report, goodwill: sometimes}",
            "remedies.rude_staff.goodwill must be after_remedy or none",
        ),
        (
            "  billing_error: {action: refund_overcharge, refund_days: [3, 5], goodwill: after_remedy}",
            "  billing_error: {action: refund_overcharge, goodwill: after_remedy}",
            "remedies.billing_error.refund_days must be a number of working days",
        ),
        (
            "  other: {action: team_follow_up",
            "  rudeness: {action: staff_report}\n  other: {action: team_follow_up",
            "unknown category 'rudeness'",
        ),
    ],
)
def test_a_wrong_remedy_is_named(content_dir, old, new, message):
    path = content_dir / "compensation.yml"
    edit(path, old, new)
    with pytest.raises(ContentError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        load_content(content_dir)


def test_a_missing_remedy_wording_is_named(content_dir):
    path = content_dir / "recovery.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  staff_report: \"I've passed", "  staff_reportx: \"I've passed"), encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(f"{path}: remedies needs staff_report")):
        load_content(content_dir)


@pytest.mark.parametrize(
    "text, cents",
    [
        ("I was charged twice, 49.90 EUR", 4990),
        ("€12,50 taken twice", 1250),
        ("it was 35 euros", 3500),
        ("charged 49.90 twice", 4990),  # two decimals read as money without a currency
        ("order 4829173 amount 12.30 EUR", 1230),
        ("۴۹٫۹۰ یورو دو بار کسر شد", 4990),
        ("دو بار ۱۲۰ یورو", 12000),
        ("order 4829173 charged twice", None),  # an order number is no amount
        ("charged 15 twice", None),  # a bare number could be anything
        ("they took 20 dollars", None),  # another currency: a person checks, nothing converted
        ("", None),
    ],
)
def test_an_amount_is_only_what_the_customer_typed(text, cents):
    assert parse_amount(text, "EUR") == cents


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", template))


def test_the_persian_remedy_wording_is_complete_and_fills_the_same_values():
    """Persian customers get the remedy too: every message in the `fa:` section, with no value the
    English one does not have ({days} is written as {days_from} تا {days_to})."""
    data = yaml.safe_load((PROJECT_DIR / "content" / "recovery.yml").read_text(encoding="utf-8"))
    english, persian = data["remedies"], data["fa"]["remedies"]
    assert set(persian) == set(REMEDY_MESSAGES) == set(english)
    for key, template in persian.items():
        allowed = _placeholders(english[key]) | ({"days_from", "days_to"} if "{days}" in english[key] else set())
        assert _placeholders(template) <= allowed, key
        assert template.strip(), key
    # The remedies' own offers are worded in Persian beside the goodwill offers.
    assert {"overcharge_refund", "item_refund"} <= set(data["fa"]["offers"])
    assert set(data["offers"]) <= set(data["fa"]["offers"])
