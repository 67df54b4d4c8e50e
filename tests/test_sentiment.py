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
