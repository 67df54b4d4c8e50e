"""The Persian sentiment scorer and the per-script choice of scorer."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedback.sentiment import CustomerServiceScorer, ScriptScorer, Sentiment
from feedback.sentiment_fa import PersianScorer
from tests.conftest import PROJECT_DIR

LEXICON = PROJECT_DIR / "content" / "sentiment_lexicon_fa.yml"
_shared: dict[str, PersianScorer] = {}


def _scorer() -> PersianScorer:
    if "fa" not in _shared:
        _shared["fa"] = PersianScorer(LEXICON)
    return _shared["fa"]


@pytest.fixture
def fa() -> PersianScorer:
    return _scorer()


def polarity(scorer, text: str) -> float:
    return scorer.score(text).polarity


@pytest.mark.parametrize(
    "text",
    ["سفارشم هنوز نرسیده", "غذا سرد بود", "بسته خراب رسید", "پولم رو پس بدید", "پولمو پس بدین", "کسی جواب نمیده"],
)
def test_complaints_without_classic_sentiment_words(fa, text):
    assert polarity(fa, text) < -0.3


@pytest.mark.parametrize("text", ["عالی بود، ممنون", "خیلی خوشمزه بود", "دستتون درد نکنه", "سریع و به موقع رسید"])
def test_praise(fa, text):
    assert polarity(fa, text) > 0.3


@pytest.mark.parametrize(
    ("negated", "plain"),
    [("خوب نبود", "خوب بود"), ("گرم نبود", "گرم بود"), ("راضی نیستم", "راضی هستم"), ("اصلا خوشمزه نبود", "خوشمزه بود")],
)
def test_a_negative_verb_after_praise_makes_a_complaint(fa, negated, plain):
    assert polarity(fa, plain) > 0 > polarity(fa, negated)


@pytest.mark.parametrize("text", ["بد نبود", "هیچ مشکلی نداشت", "بدون تاخیر رسید", "بدون مشکل"])
def test_a_negated_complaint_is_mild_praise(fa, text):
    assert 0 < polarity(fa, text) < 0.5


def test_a_negative_verb_that_is_the_complaint_is_not_read_as_negation(fa):
    # "نرسیده" (has not arrived) is itself the complaint; "نیومده" likewise.
    assert polarity(fa, "نرسیده") < 0 and polarity(fa, "هنوز نیومده") < 0
    assert polarity(fa, "جواب دادن") == 0 < -polarity(fa, "جواب ندادن")


def test_something_missing_is_a_complaint(fa):
    assert polarity(fa, "نوشابه نداشت") < 0
    assert polarity(fa, "سس رو نفرستادن") < 0


def test_intensifiers_and_softeners(fa):
    assert polarity(fa, "خیلی سرد بود") < polarity(fa, "سرد بود") < polarity(fa, "یکم سرد بود") < 0
    assert polarity(fa, "خیلی خوب بود") > polarity(fa, "خوب بود")


def test_a_plain_complaint_does_not_escalate_alone_but_an_accusation_does(fa):
    # escalation.yml: one message at or below -0.9 hands the customer to a person at once.
    assert polarity(fa, "خیلی خیلی سرد و دیر رسید!!") > -0.9
    assert polarity(fa, "این کلاهبرداریه") <= -0.9
    assert polarity(fa, "کلاهبرداری نیست") > -0.9


def test_emoji(fa):
    assert polarity(fa, "سفارشم دیر رسید 😡") < polarity(fa, "سفارشم دیر رسید")
    assert polarity(fa, "مرسی 😍") > 0
    assert polarity(fa, "سلام 👎") < 0


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("كيفيت خيلي بد بود", "کیفیت خیلی بد بود"),  # Arabic ي/ك
        ("بی‌کیفیت بود", "بی کیفیت بود"),  # with and without the zero-width non-joiner
        ("بیکیفیت بود", "بی کیفیت بود"),
        ("عالییییی", "عالی"),  # letters typed again for emphasis
        ("بعد از ۲ ساعت رسید", "بعد از 2 ساعت رسید"),  # Persian digits
        ("بعد از ٢ ساعت رسید", "بعد از 2 ساعت رسید"),  # Arabic-Indic digits
    ],
)
def test_spelling_variants_score_alike(fa, one, other):
    assert fa.score(one) == fa.score(other)
    assert polarity(fa, other) != 0


def test_persian_digits_in_an_order_number_are_no_sentiment(fa):
    assert fa.score("شماره سفارشم ۱۲۳۴۵ است") == Sentiment(0.0, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "نوشابه گرم بود",
        "نون کپک زده بود",
        "دیگه ازتون نمیخرم",
        "اصلا سفارش ندید",
        "طعمش عوض شده",
        "بسته دست خورده بود",
        "انتظار بیشتری داشتم",
    ],
)
def test_delivery_faults_and_advice_not_to_order_are_complaints(fa, text):
    assert polarity(fa, text) < -0.2


@pytest.mark.parametrize("text", ["پرملات و داغ داغ", "خیلی خفن بود", "بازم میگیرم", "🔥🔥"])
def test_colloquial_praise(fa, text):
    assert polarity(fa, text) > 0.3


def test_an_if_clause_is_no_complaint(fa):
    assert polarity(fa, "اگه سفارشم دیر برسه چی میشه؟") == 0


def test_own_persian_set_floor(fa):
    """Our labelled Persian messages: sign accuracy and complaints caught, with a floor."""
    data = yaml.safe_load((PROJECT_DIR / "tests" / "data" / "customer_sentiment_fa.yml").read_text(encoding="utf-8"))
    labelled = [(t, -1) for t in data["negative"]] + [(t, 0) for t in data["neutral"]]
    labelled += [(t, 1) for t in data["positive"]]
    signs = [(-1 if p < -0.05 else 1 if p > 0.05 else 0) for p in (polarity(fa, t) for t, _ in labelled)]
    accuracy = sum(s == y for s, (_, y) in zip(signs, labelled, strict=True)) / len(labelled)
    caught = sum(s == -1 for s, (_, y) in zip(signs, labelled, strict=True) if y == -1) / len(data["negative"])
    assert accuracy >= 0.9, accuracy
    assert caught >= 0.95, caught


def test_the_script_chooses_the_scorer():
    english = CustomerServiceScorer(PROJECT_DIR / "content" / "sentiment_lexicon.yml")
    both = ScriptScorer(english=english, persian=_scorer())
    assert both.score("غذا سرد بود") == _scorer().score("غذا سرد بود")
    assert both.score("my parcel never arrived") == english.score("my parcel never arrived")
    assert both.score("😡") == english.score("😡")  # no letters: the English scorer reads emoji
    assert both.score("سفارش 12345 هنوز نرسیده").polarity < 0


def test_the_shipped_content_scores_persian():
    from bot.app.content import load_content

    content = load_content(PROJECT_DIR / "content")
    assert content.sentiment.score("سفارشم هنوز نرسیده").polarity < -0.3
    assert content.sentiment.score("my parcel never arrived").polarity < 0


@pytest.mark.parametrize("text", ["", " ", "\u200c\u200c", "؟!", "ن", "نمی", "!!!", "ـــ", "\u064b", "۰" * 50])
def test_odd_input_scores_in_range(fa, text):
    result = fa.score(text)
    assert -1 <= result.polarity <= 1 and 0 <= result.subjectivity <= 1


@given(st.text(alphabet=st.sampled_from(list("ابپتسدریکگلمنوهیژ ‌ًٌ؟!۱۲😡👍ـ")), max_size=120))
def test_any_persian_text_scores_in_range(text):
    result = _scorer().score(text)
    assert -1 <= result.polarity <= 1 and 0 <= result.subjectivity <= 1


def test_very_long_text_is_scored(fa):
    assert polarity(fa, "غذا سرد بود. " * 5000) < 0


def _persian_router(session_factory):
    from bot.conversation.router import ConversationRouter
    from bot.handoff.policy import HandoffByRules
    from tests.support.content import project_content
    from tests.support.routing import ScriptedAssistant

    content = project_content()
    return ConversationRouter(
        session_factory=session_factory,
        assistant=ScriptedAssistant(),
        scorer=content.sentiment,
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
    )


def _handoffs(session_factory) -> list[str]:
    from sqlalchemy import select

    from bot.storage.models import HandoffRequest

    with session_factory() as session:
        return [h.reason for h in session.execute(select(HandoffRequest)).scalars()]


async def test_a_run_of_persian_complaints_is_escalated_as_an_english_one_is(session_factory):
    from tests.support.routing import inbound

    router = _persian_router(session_factory)
    await router.handle(inbound("سلام، سفارشم هنوز نرسیده"))
    await router.handle(inbound("غذا هم که سرد بود"))
    assert _handoffs(session_factory) == []
    await router.handle(inbound("کسی جواب نمیده، پولم رو پس بدید"))
    assert _handoffs(session_factory) == ["negative_sentiment"]


async def test_a_persian_accusation_is_escalated_at_once_and_praise_is_not(session_factory):
    from tests.support.routing import inbound

    router = _persian_router(session_factory)
    await router.handle(inbound("خیلی ممنون، عالی بود", sender="happy"))
    assert _handoffs(session_factory) == []
    await router.handle(inbound("این کلاهبرداریه", sender="angry"))
    assert _handoffs(session_factory) == ["very_negative_message"]
