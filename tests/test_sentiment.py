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
