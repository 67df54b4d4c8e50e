from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handoff.rules import handoff_message, is_open, load_rules, next_opening
from bot.handoff.triggers import sentiment_trigger, survey_trigger
from tests.conftest import PROJECT_DIR

RULES = load_rules(PROJECT_DIR / "content" / "escalation.yml")


@pytest.mark.parametrize(
    "polarities, reason",
    [
        ([], None),
        ([0.2, 0.1], None),
        ([-0.95], "very_negative_message"),
        ([-0.8], None),  # a plain complaint: the recovery flow handles it
        ([0.5, 0.3, -0.9], "very_negative_message"),
        ([-0.4, -0.5, -0.3], "negative_sentiment"),
        ([-0.4, -0.5], None),  # not enough messages for the rolling mean yet
        ([-0.9, 0.0, 0.0, 0.0], None),  # an old outburst, calm since
    ],
)
def test_sentiment_triggers(polarities, reason):
    assert sentiment_trigger(RULES, polarities) == reason


@given(st.lists(st.floats(min_value=-0.3, max_value=1.0), max_size=20))
def test_mildly_negative_or_positive_customers_are_never_escalated(polarities):
    assert sentiment_trigger(RULES, polarities) is None


@pytest.mark.parametrize(
    "kind, score, answer, reason",
    [
        ("nps", 6, None, "nps_detractor"),
        ("nps", 7, None, None),
        ("nps", 0, None, "nps_detractor"),
        ("ces", None, "difficult", "difficult_ces"),
        ("ces", None, "very_difficult", "difficult_ces"),
        ("ces", None, "neutral", None),
        ("csat", 1, None, None),
    ],
)
def test_survey_triggers(kind, score, answer, reason):
    assert survey_trigger(RULES, kind=kind, score=score, answer=answer) == reason


def test_business_hours_in_the_shops_time_zone():
    # Thursday 2026-11-26: 08:30 UTC is 09:30 in Berlin (open); 17:30 UTC is 18:30 (closed).
    assert is_open(RULES, datetime(2026, 11, 26, 8, 30, tzinfo=timezone.utc))
    assert not is_open(RULES, datetime(2026, 11, 26, 17, 30, tzinfo=timezone.utc))
    # Friday evening: next opening is Monday 09:00 Berlin.
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)
    opening = next_opening(RULES, friday_night)
    assert (opening.weekday(), opening.hour, opening.minute) == (0, 9, 0)
    morning = datetime(2026, 11, 26, 8, 30, tzinfo=timezone.utc)
    assert next_opening(RULES, morning) == morning


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("business_hours:\n  mon: ['18:00', '09:00']\n", "closes before it opens"),
        ("business_hours:\n  funday: ['09:00', '18:00']\n", "must be a weekday"),
        ("business_hours:\n  mon: ['9am', '18:00']\n", "is not a time"),
    ],
)
def test_mistakes_in_hours_are_named(tmp_path, yaml_text, message):
    path = tmp_path / "escalation.yml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=message):
        load_rules(path)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc), "open"),  # Thursday 11:00 in Berlin
        (datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc), "today at 09:00 (Europe/Berlin time)"),
        (datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc), "tomorrow at 09:00 (Europe/Berlin time)"),
        (datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc), "on Monday at 09:00 (Europe/Berlin time)"),
    ],
)
def test_the_customer_is_told_honestly_when_someone_answers(moment, expected):
    message = handoff_message(RULES, moment)
    if expected == "open":
        assert message == RULES.messages["open"]
    else:
        assert message == RULES.messages["closed"].format(when=expected)
    assert handoff_message(RULES, moment, already=True) == RULES.messages["already"]


@pytest.mark.parametrize(
    "text, escalated",
    [
        ("I am so angry right now", True),
        ("this is unacceptable!", True),
        ("Fed up with this", True),
        ("where is my order", False),
        ("not angry, just curious", False),
        ("I'm angry and not happy", True),
        ("the scampi was great", False),
    ],
)
def test_words_of_anger_escalate_one_message(text, escalated):
    assert (sentiment_trigger(RULES, [-0.1], text) == "very_negative_message") == escalated
