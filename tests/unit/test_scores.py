import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.surveys.scores import (
    CES_VALUES,
    CSAT_RANGE,
    NPS_RANGE,
    ces_mean,
    nps_category,
    parse_ces,
    parse_number,
    summarise_csat,
    summarise_nps,
)

nps_scores = st.lists(st.integers(min_value=0, max_value=10))


@pytest.mark.parametrize(
    "score, category",
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_nps_categories_at_the_boundaries(score, category):
    assert nps_category(score) == category


@pytest.mark.parametrize("score", [-1, 11, 100])
def test_nps_refuses_out_of_range(score):
    with pytest.raises(ValueError):
        nps_category(score)


def test_nps_worked_example():
    # 5 promoters, 3 passives, 2 detractors: 50% - 20% = +30
    summary = summarise_nps([10, 9, 9, 10, 9, 7, 8, 8, 3, 6])
    assert (summary.promoters, summary.passives, summary.detractors) == (5, 3, 2)
    assert summary.score == pytest.approx(30.0)


@given(nps_scores)
def test_nps_is_promoter_share_minus_detractor_share(scores):
    summary = summarise_nps(scores)
    assert summary.responses == len(scores)
    if not scores:
        assert summary.score is None
        return
    expected = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
    assert summary.score == pytest.approx(expected)
    assert -100 <= summary.score <= 100


@given(st.lists(st.sampled_from(sorted(CES_VALUES)), min_size=1))
def test_ces_mean_stays_on_the_scale(answers):
    mean = ces_mean(answers)
    assert -2 <= mean <= 2
    assert mean == pytest.approx(sum(CES_VALUES[a] for a in answers) / len(answers))


def test_ces_of_nothing_is_none():
    assert ces_mean([]) is None


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=1))
def test_csat_mean_and_satisfied_share(scores):
    summary = summarise_csat(scores)
    assert 1 <= summary.mean <= 7
    assert summary.satisfied_share == pytest.approx(sum(s >= 6 for s in scores) / len(scores))


def test_csat_refuses_out_of_range():
    with pytest.raises(ValueError):
        summarise_csat([0])


@pytest.mark.parametrize(
    "text, allowed, expected",
    [
        ("9", NPS_RANGE, 9),
        ("nine", NPS_RANGE, 9),
        ("I'd say 8/10", NPS_RANGE, 8),
        ("10!", NPS_RANGE, 10),
        ("0", NPS_RANGE, 0),
        ("11", NPS_RANGE, None),
        ("7 or 8", NPS_RANGE, None),
        ("banana", NPS_RANGE, None),
        ("8", CSAT_RANGE, None),
        ("seven", CSAT_RANGE, 7),
        ("", NPS_RANGE, None),
    ],
)
def test_typed_scores(text, allowed, expected):
    assert parse_number(text, allowed) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("very easy", "very_easy"),
        ("Very easy!", "very_easy"),
        ("it was easy", "easy"),
        ("neutral", "neutral"),
        ("pretty hard", "difficult"),
        ("VERY DIFFICULT", "very_difficult"),
        ("very_difficult", "very_difficult"),
        ("banana", None),
        ("", None),
    ],
)
def test_typed_ces_answers(text, expected):
    assert parse_ces(text) == expected


@given(st.text(max_size=50))
def test_parsers_never_crash_on_any_text(text):
    assert parse_number(text, NPS_RANGE) in set(NPS_RANGE) | {None}
    assert parse_ces(text) in set(CES_VALUES) | {None}
