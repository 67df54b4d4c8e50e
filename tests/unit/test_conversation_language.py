"""The customer's language: by script, remembered per customer, hinted by the channel; and the
content, surveys, money and order numbers in Persian."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app.settings import load_settings
from bot.channels.telegram.replies import DEFAULT_REPLIES, load_replies
from bot.channels.telegram.updates import read_update
from bot.conversation.language import Languages
from bot.handoff.rules import handoff_message, is_open, load_rules, next_opening
from bot.handoff.triggers import angry
from bot.storage.models import Customer
from feedback.compensation import Offer
from feedback.money import MoneyFormat
from feedback.recovery import assess_severity, describe_offer, find_order_number, means_no_order_number
from feedback.surveys.plan import is_skip
from feedback.surveys.scores import CSAT_RANGE, NPS_RANGE, parse_ces, parse_number
from tests.support.content import PROJECT_DIR, project_content
from tests.support.fake_telegram import photo_update
from tests.support.routing import ScriptedAssistant, inbound, make_router

BOTH = Languages(served=("en", "fa"), default="en")


@pytest.mark.parametrize(
    ("text", "remembered", "hints", "language"),
    [
        ("سلام، سفارشم کجاست؟", None, (), "fa"),
        ("where is my order?", None, (), "en"),
        ("where is my order?", "fa", (), "en"),  # a real English sentence switches
        ("سلام", "en", (), "fa"),
        ("۴۸۲۹۱۷۳", "fa", (), "fa"),  # an order number keeps the language
        ("4829173", "fa", ("en",), "fa"),
        ('/choose_topic{"topic":"order_status"}', "fa", (), "fa"),  # a button tap keeps it
        ("/start", None, (None, "fa-IR"), "fa"),  # Telegram's language_code for a first message
        ("/start", None, ("fa", "en"), "fa"),  # the widget's page language first
        ("/start", None, ("de",), "en"),  # a language the shop doesn't serve: the default
        ("👍", None, (), "en"),
        ("iPhone 13", "fa", (), "fa"),  # a product name in a Persian conversation
        ("ok", "fa", (), "fa"),
        ("👍", "xx", ("fa",), "fa"),  # an old locale that is no language served is ignored
        ("salam, sefaresham kojast?", None, (), "fa"),  # Finglish
        ("mikham ba ye adam harf bezanam", "en", (), "fa"),
        ("khodahafez", None, (), "fa"),
        ("hazine ersal chande?", "en", (), "fa"),
        ("hello, where is my order?", None, ("fa",), "en"),
        ("help", None, (None, "fa"), "fa"),  # Telegram's /help, sent as "help", by a Persian user
        ("help", "en", (None, "fa"), "en"),
        ("help", None, (), "en"),
    ],
)
def test_language_of_a_message(text, remembered, hints, language):
    assert BOTH.choose(text, remembered=remembered, hints=hints) == language


def test_a_persian_only_shop_answers_everyone_in_persian():
    assert Languages(served=("fa",), default="fa").choose("hello there, where is my order", remembered="en") == "fa"


def test_settings_name_the_languages_and_a_default_outside_them_is_refused():
    settings = load_settings({"CXBOT_LANGUAGES": "fa", "CXBOT_DEFAULT_LANGUAGE": "fa"})
    assert (settings.languages, settings.default_language) == (("fa",), "fa")
    assert load_settings({}).languages == ("en", "fa") and load_settings({}).default_language == "en"
    with pytest.raises(ValueError, match="default language"):
        Languages(served=("fa",), default="en")


class RecordingAssistant(ScriptedAssistant):
    def __init__(self) -> None:
        super().__init__()
        self.languages: list[str] = []

    async def respond(self, conversation_id, text, *, channel, metadata):
        self.languages.append(metadata["language"])
        return await super().respond(conversation_id, text, channel=channel, metadata=metadata)


async def test_the_router_remembers_the_language_and_passes_it_to_the_assistant(session_factory):
    assistant = RecordingAssistant()
    router = make_router(session_factory, assistant)
    await router.handle(inbound("/greet", metadata={"language_hint": "fa"}))  # first: the hint
    await router.handle(inbound("۴۸۲۹۱۷۳"))  # digits only: remembered
    await router.handle(inbound("can you tell me where my parcel is"))  # English prose switches
    await router.handle(inbound("سلام"))
    assert assistant.languages == ["fa", "fa", "en", "fa"]
    with session_factory() as session:
        assert session.execute(select(Customer.locale)).scalar_one() == "fa"


async def test_telegram_language_code_is_a_hint_for_the_first_message(session_factory):
    assistant = RecordingAssistant()
    router = make_router(session_factory, assistant)
    await router.handle(inbound("/start", locale="fa"))
    await router.handle(inbound("/start", sender="c2", locale="en-GB"))
    assert assistant.languages == ["fa", "en"]


def test_content_in_persian_with_english_as_the_fallback():
    content = project_content()
    persian = content.in_language("fa")
    assert persian.topics.titles["order_status"] == "سفارش من کجاست؟"
    assert persian.surveys.ces_answers["very_easy"] == "خیلی آسان"
    assert persian.recovery.label("late_delivery") == "تأخیر در ارسال"
    assert persian.desk.say("joined", name="سارا") == "یکی از همکاران ما (سارا) به گفتگو پیوست"
    assert content.in_language("de") is content and content.in_language("en") is content
    assert content.topics.titles["order_status"] == "Where is my order?"
    # Rules and thresholds are shared: only the wording changes.
    assert persian.escalation.hours == content.escalation.hours
    assert persian.compensation is content.compensation


def test_amounts_are_written_the_iranian_way():
    toman = MoneyFormat(pattern="{amount} تومان", decimals=0, persian_digits=True)
    assert toman.write(50000, "IRT") == "۵۰٬۰۰۰ تومان"
    assert MoneyFormat().write(495, "EUR") == "4.95 EUR"
    content = project_content()
    assert describe_offer(content.in_language("fa").recovery, Offer("partial_refund", 2500), "EUR") == (
        "بازپرداخت بخشی از مبلغ به میزان ۲۵٫۰۰ یورو"
    )
    assert describe_offer(content.recovery, Offer("partial_refund", 2500), "EUR") == "a partial refund of 25.00 EUR"
    persian_coupon = describe_offer(content.in_language("fa").recovery, Offer("coupon_percent", percent=20), "EUR")
    assert persian_coupon == "۲۰٪ تخفیف برای سفارش بعدی‌تان"
    assert (
        describe_offer(content.recovery, Offer("coupon_percent", percent=20), "EUR")
        == "a 20% discount on your next order"
    )


def test_order_numbers_in_persian_digits_and_no_order_number_in_persian():
    recovery = project_content().in_language("fa").recovery
    assert find_order_number(recovery, "شماره سفارشم ۴۸۲۹۱۷۳ است") == "4829173"
    assert find_order_number(recovery, "٤٨٢٩١٧٣") == "4829173"  # Arabic-Indic digits
    assert means_no_order_number(recovery, "شماره‌اش رو ندارم")


@pytest.mark.parametrize(
    ("text", "allowed", "value"),
    [
        ("۹", NPS_RANGE, 9),
        ("نه از ده", NPS_RANGE, 9),
        ("۸ از ۱۰", NPS_RANGE, 8),
        ("هفت", CSAT_RANGE, 7),
        ("ده", NPS_RANGE, 10),
        ("نه", NPS_RANGE, None),  # "no" as much as "nine": asked again
        ("nine", NPS_RANGE, 9),
    ],
)
def test_scores_typed_in_persian(text, allowed, value):
    assert parse_number(text, allowed) == value


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("خیلی راحت بود", "very_easy"),
        ("آسان", "easy"),
        ("معمولی", "neutral"),
        ("سخت بود", "difficult"),
        ("خیلی سخت", "very_difficult"),
        ("very easy", "very_easy"),
    ],
)
def test_ces_typed_in_persian(text, answer):
    assert parse_ces(text) == answer


def test_skip_in_persian():
    surveys = project_content().in_language("fa").surveys
    assert all(is_skip(surveys, text) for text in ("بیخیال", "بی‌خیال", "نه، ممنون", "رد کردن", "skip"))
    assert not is_skip(surveys, "نه از ده")


def test_handoff_wording_in_persian_names_the_opening_day():
    content = project_content()
    saturday_noon = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
    message = handoff_message(content.in_language("fa").escalation, saturday_noon)
    assert "دوشنبه ساعت ۰۹:۰۰" in message and "خارج از ساعات کاری" in message
    assert "on Monday at 09:00 (Europe/Berlin time)" in handoff_message(content.escalation, saturday_noon)


def test_the_iranian_week_example_in_escalation_yml_loads(tmp_path):
    """The commented example: Saturday to Wednesday, Thursday mornings, Friday closed, Tehran time."""
    lines = (PROJECT_DIR / "content" / "escalation.yml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# An Iranian week"))
    example = [line[4:] for line in lines[start:] if line.startswith("#   ")]
    (tmp_path / "escalation.yml").write_text("\n".join(example), encoding="utf-8")
    rules = load_rules(tmp_path / "escalation.yml")
    tehran = ZoneInfo("Asia/Tehran")
    assert rules.timezone.key == "Asia/Tehran"
    assert is_open(rules, datetime(2026, 12, 5, 10, 0, tzinfo=tehran))  # Saturday morning
    assert is_open(rules, datetime(2026, 12, 10, 12, 0, tzinfo=tehran))  # Thursday morning
    assert not is_open(rules, datetime(2026, 12, 10, 14, 0, tzinfo=tehran))  # Thursday afternoon
    assert not is_open(rules, datetime(2026, 12, 11, 10, 0, tzinfo=tehran))  # Friday
    assert next_opening(rules, datetime(2026, 12, 10, 14, 0, tzinfo=tehran)) == datetime(
        2026, 12, 12, 9, 0, tzinfo=tehran
    )


def test_persian_cue_words_raise_the_severity():
    recovery = project_content().in_language("fa").recovery
    assert assess_severity(recovery, "late_delivery", "سه هفته است که بسته نرسیده", None) == "high"
    assert assess_severity(recovery, "late_delivery", "بسته کمی دیر رسید", None) == "low"


@pytest.mark.parametrize(
    ("text", "angry_"),
    [
        ("این کلاهبرداریه، کلاهبرداری!", True),
        ("دیگه خسته شدم از دستتون", True),
        ("this is a scam", True),
        ("سفارشم کی می‌رسه؟", False),
    ],
)
def test_persian_anger_cues_escalate_persian_customers(text, angry_):
    assert angry(project_content().in_language("fa").escalation, text) is angry_


def test_telegram_replies_of_its_own_follow_the_users_telegram_language():
    replies = project_content().telegram_replies  # content/telegram.yml
    photo = photo_update(13, 42, 10)
    photo["message"]["from"]["language_code"] = "fa"
    action = read_update(Update.de_json(photo, None), allow_groups=False, replies=replies)
    assert action.reply == replies.by_language["fa"]["unreadable"] and action.inbound.locale == "fa"
    assert action.reply.startswith("ببخشید")
    english = read_update(Update.de_json(photo_update(14, 43, 11), None), allow_groups=False, replies=replies)
    assert english.reply == DEFAULT_REPLIES["unreadable"]
    assert replies.reply("fa-IR", "expired") == replies.by_language["fa"]["expired"] != replies.reply("de", "expired")


def test_telegram_replies_are_checked_when_read(tmp_path):
    path = tmp_path / "telegram.yml"
    path.write_text("replies:\n  fa:\n    expird: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown replies: expird"):
        load_replies(path)
    path.write_text("replies:\n  fa:\n    expired: ''\n", encoding="utf-8")
    with pytest.raises(ValueError, match="replies.fa.expired is empty"):
        load_replies(path)
    path.write_text("replies:\n  fa:\n    expired: دیگر نه\n", encoding="utf-8")
    replies = load_replies(path)  # what a language leaves out is said in English
    assert replies.reply("fa", "expired") == "دیگر نه" and replies.reply("fa", "edited") == DEFAULT_REPLIES["edited"]


async def test_a_failing_assistant_apologises_in_the_customers_language(session_factory):
    content = project_content()
    apologies = {c.language: c.desk.say("assistant_error") for c in (content, *content.translations.values())}
    router = make_router(session_factory, ScriptedAssistant(fail=True), apologies=apologies)
    persian = await router.handle(inbound("سلام، سفارشم کجاست؟", sender="fa-1"))
    english = await router.handle(inbound("hello, where is my order?", sender="en-1"))
    assert [r.text for r in persian] == [apologies["fa"]] and apologies["fa"].startswith("پوزش")
    assert [r.text for r in english] == [apologies["en"]]
