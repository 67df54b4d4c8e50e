from hypothesis import given
from hypothesis import strategies as st

from feedback.sentiment import TextBlobScorer, rolling_score

polarity = st.floats(min_value=-1, max_value=1, allow_nan=False)


def test_textblob_scores_sign_of_clear_messages():
    scorer = TextBlobScorer()
    assert scorer.score("This is terrible, the worst service ever").polarity < 0
    assert scorer.score("Great, thank you so much, excellent help!").polarity > 0
    neutral = scorer.score("My order number is 12345")
    assert neutral.polarity == 0
    assert 0 <= neutral.subjectivity <= 1


def test_rolling_score_starts_with_first_message():
    assert rolling_score(None, -0.5) == -0.5


@given(previous=polarity, new=polarity)
def test_rolling_score_stays_between_previous_and_new(previous, new):
    score = rolling_score(previous, new)
    assert min(previous, new) - 1e-9 <= score <= max(previous, new) + 1e-9


@given(start=polarity, new=st.floats(min_value=-1, max_value=-0.5))
def test_rolling_score_moves_towards_repeated_negative_messages(start, new):
    score = start
    for _ in range(20):
        score = rolling_score(score, new)
    assert abs(score - new) < 0.01


def _labelled():
    import yaml

    from tests.conftest import PROJECT_DIR

    data = yaml.safe_load((PROJECT_DIR / "tests" / "data" / "customer_sentiment.yml").read_text())
    return data


def test_customer_service_scorer_catches_complaints_without_sentiment_words():
    from feedback.sentiment import CustomerServiceScorer
    from tests.conftest import PROJECT_DIR

    data = _labelled()
    ours = CustomerServiceScorer(PROJECT_DIR / "content" / "sentiment_lexicon.yml")
    plain = TextBlobScorer()
    complaints = data["negative"]
    caught = sum(ours.score(t).polarity < -0.05 for t in complaints) / len(complaints)
    caught_by_textblob = sum(plain.score(t).polarity < -0.05 for t in complaints) / len(complaints)
    assert caught >= 0.9
    assert caught > caught_by_textblob + 0.3
    for text in data["neutral"] + data["positive"]:
        assert ours.score(text).polarity >= -0.05, text
    for text in data["positive"]:
        assert ours.score(text).polarity > 0.05, text


def test_intensifiers_make_a_complaint_stronger():
    from feedback.sentiment import CustomerServiceScorer
    from tests.conftest import PROJECT_DIR

    ours = CustomerServiceScorer(PROJECT_DIR / "content" / "sentiment_lexicon.yml")
    assert ours.score("my parcel is late again").polarity < ours.score("my parcel is late").polarity < 0
    assert ours.score("great, my parcel is late").polarity < 0  # praise words don't cancel a complaint


# --- the product's scorer: behaviour on customer-service language ---------------------------------

import pytest  # noqa: E402

from feedback.sentiment import CustomerServiceScorer  # noqa: E402


@pytest.fixture(scope="module")
def cx():
    from tests.conftest import PROJECT_DIR

    return CustomerServiceScorer(PROJECT_DIR / "content" / "sentiment_lexicon.yml")


def test_fast_textblob_port_scores_exactly_like_textblob():
    from textblob.en.sentiments import PatternAnalyzer

    texts = _labelled()["negative"] + [
        "I don't think it's bad :) but not really good either!!!",
        "Mr. Smith said it's o.O fine ( ! )",
        "VERY happy!!! <3",
        "It isn't terrible... it's ok :-(",
        "\"quoted\" 'words' 'd n't",
        "x D and : )",
        "line one\n\nline two is awful",
        "",
        "   ",
        "؟ طلبي متأخر جدا",
        "😡 terrible 👍",
    ]
    original, ours = PatternAnalyzer(), TextBlobScorer()
    for text in texts:
        expected = original.analyze(text)
        got = ours.score(text)
        assert (got.polarity, got.subjectivity) == pytest.approx(
            (expected.polarity, expected.subjectivity), abs=1e-12
        ), text


@given(
    st.lists(
        st.sampled_from(list("ab no  .,:;!?()'\"-=<>3DPxo°\n’") + ["n't", "good ", "bad ", "very ", ":)", "Mr."]),
        max_size=40,
    ).map("".join)
)
def test_fast_textblob_port_matches_textblob_on_odd_strings(text):
    from textblob.en.sentiments import PatternAnalyzer

    expected = PatternAnalyzer().analyze(text)
    got = TextBlobScorer().score(text)
    assert (got.polarity, got.subjectivity) == pytest.approx((expected.polarity, expected.subjectivity), abs=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        "not late",
        "the delivery wasn't delayed at all",
        "no problem",
        "never had an issue with you",
        "I haven't had any problems",
        "nothing was broken, thanks",
        "no issues at all",
        "sorry for the late reply, here is the order number",
        "what happens if my parcel is lost",
        "can I return it in case it doesn't fit",
    ],
)
def test_negated_or_hypothetical_cues_are_no_complaints(cx, text):
    assert cx.score(text).polarity >= 0, text


@pytest.mark.parametrize(
    "text",
    [
        "not happy",
        "the app is not working",
        "my order still hasn't come",
        "the courier hasn't turned up",
        "you never responded to my email",
        "no one has answered my emails",
        "I can't sign in",
        "would not recommend",
        "I don't know why it is late",
        "tracking has not been updated in a week",
    ],
)
def test_negated_expectations_are_complaints(cx, text):
    assert cx.score(text).polarity < -0.05, text


def test_a_plain_complaint_does_not_score_minus_one(cx):
    # "late", "rude", "broken" are in TextBlob's lexicon and in ours: counted once, a plain complaint
    # stays above the escalation threshold (content/escalation.yml: -0.9) and the recovery flow answers.
    for text in ("your driver was rude to me", "the box arrived damaged and the lamp is broken", "my parcel is late"):
        assert -0.9 < cx.score(text).polarity < -0.3, text
    assert cx.score("terrible, my parcel is late again").polarity < cx.score("my parcel is late again").polarity


def test_intensifiers_strengthen_only_complaints(cx):
    assert cx.score("the app is not working again!!").polarity < cx.score("the app is not working").polarity
    assert cx.score("it works again, thanks").polarity > 0


def test_emoji_count(cx):
    assert cx.score("😡😡").polarity < -0.5
    assert cx.score("thanks 👍").polarity > 0.3
    assert cx.score("👍").polarity > 0
    assert cx.score("my parcel is late 😡").polarity < cx.score("my parcel is late").polarity


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n",
        "12345",
        "?!",
        "لم يصل طلبي بعد",
        "הזמנה שלי לא הגיעה",
        "<p>Hello <b>there</b></p>",
        "&lt;script&gt;",
        "\u200f\u202e",
        "🙂" * 3,
    ],
)
def test_odd_input_scores_in_range(cx, text):
    result = cx.score(text)
    assert -1 <= result.polarity <= 1 and 0 <= result.subjectivity <= 1


def test_html_markup_does_not_hide_a_complaint(cx):
    assert cx.score("<p>my order is <b>late</b> and nobody answers</p>").polarity < -0.3


def test_very_long_text_is_scored(cx):
    text = "my parcel is late and nobody answers. " * 20_000 + "great"
    assert cx.score(text).polarity < 0
    assert -1 <= cx.score("'. " * 50_000).polarity <= 1


@given(st.text(max_size=200))
def test_any_text_scores_in_range(text):
    from tests.conftest import PROJECT_DIR

    result = _cx_shared(PROJECT_DIR).score(text)
    assert -1 <= result.polarity <= 1 and 0 <= result.subjectivity <= 1


_cx_cache = {}


def _cx_shared(project_dir):
    if "scorer" not in _cx_cache:
        _cx_cache["scorer"] = CustomerServiceScorer(project_dir / "content" / "sentiment_lexicon.yml")
    return _cx_cache["scorer"]
