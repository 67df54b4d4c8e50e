"""Intent accuracy on customer phrasings that are not in the training data, English and Persian."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict

import pytest
import yaml

from tests.conftest import PROJECT_DIR

# Floors sit a few points under what the shipped model measures (see README), so a real
# regression fails while training noise does not. Persian targets (issue 15): FAQ topics 0.85,
# complaints recognised 0.85 (met: 0.851 and 0.875; the FAQ floor sits a point under it).
# English figures after session 25's English data (before it: 0.919, 0.966, 0.889, 0.900; TF-IDF
# only, before -> after: 0.859 -> 0.869, 0.897, 0.844 -> 0.822, 0.825 -> 0.800).
FAQ_TOPIC_FLOOR = {"en": 0.90, "fa": 0.84}  # measured 0.919 / 0.851
GENERAL_FLOOR = {"en": 0.93, "fa": 0.80}  # measured 0.966 / 0.837
COMPLAINT_FLOOR = {"en": 0.91, "fa": 0.83}  # measured 0.933 / 0.861
RECOGNISED_FLOOR = {"en": 0.92, "fa": 0.85}  # measured 0.950 / 0.875
# The second Persian set (tests/nlu/fa_heldout_2.yml, FAQ topics and complaints), written before
# the Persian training data was extended in session 24, so that the gain is measured afresh.
SECOND_FA = "fa_heldout_2.yml"
SECOND_FA_FLOOR = {"faq": 0.88, "recognised": 0.91}  # measured 0.920 and 1.000 (before: 0.907, 0.917)
# The second English set (tests/nlu/faq_heldout_2.yml), phone-typed, written in session 25 before
# the English training data was extended, so that the gain is measured afresh.
SECOND_EN = "faq_heldout_2.yml"
# measured 0.973, 0.917, 0.917 (before: 0.973, 0.833, 0.833; TF-IDF only 0.907, 0.750, 0.750)
SECOND_EN_FLOOR = {"faq": 0.95, "category": 0.87, "recognised": 0.87}
SECOND_FLOORS = {SECOND_FA: SECOND_FA_FLOOR, SECOND_EN: SECOND_EN_FLOOR}
LANGUAGES = ("en", "fa")
SUFFIX = {"en": "", "fa": "_fa"}
FALLBACK_COUNTS_AS = {"out_of_scope": {"out_of_scope", "nlu_fallback"}}


def load_examples(name: str) -> list[tuple[str, str]]:
    data = yaml.safe_load((PROJECT_DIR / "tests" / "nlu" / name).read_text())
    examples = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((line[2:].strip(), block["intent"]))
    return examples


@pytest.fixture(scope="module")
def predictions(model_path):
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all(examples):
        results = []
        for text, expected in examples:
            parsed = await agent.parse_message(text)
            intent = parsed["intent"]
            results.append((text, expected, intent.get("full_retrieval_intent_name") or intent["name"]))
        return results

    names = [heldout(kind, language) for language in LANGUAGES for kind in ("faq", "general", "complaints")]
    return {name: asyncio.run(parse_all(load_examples(name))) for name in [*names, SECOND_FA, SECOND_EN]}


def heldout(kind: str, language: str) -> str:
    return f"{kind}_heldout{SUFFIX[language]}.yml"


def accuracy(results) -> tuple[float, dict[str, list[str]]]:
    misses: dict[str, list[str]] = defaultdict(list)
    correct = 0
    for text, expected, predicted in results:
        if predicted in FALLBACK_COUNTS_AS.get(expected, {expected}):
            correct += 1
        else:
            misses[expected].append(f"{text!r} -> {predicted}")
    return correct / len(results), misses


def report(title: str, results, capsys) -> float:
    score, misses = accuracy(results)
    with capsys.disabled():
        print(f"\n{title}: {score:.3f} of {len(results)} held-out examples")
        for expected, lines in sorted(misses.items()):
            for line in lines:
                print(f"  miss [{expected}] {line}")
    return score


@pytest.mark.parametrize("language", LANGUAGES)
def test_faq_topics_have_enough_held_out_examples(predictions, language):
    per_topic = defaultdict(int)
    for _, expected, _ in predictions[heldout("faq", language)]:
        per_topic[expected] += 1
    assert len(per_topic) >= 25
    assert min(per_topic.values()) >= 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_categories_have_enough_held_out_examples(predictions, language):
    per_category = defaultdict(int)
    for _, expected, _ in predictions[heldout("complaints", language)]:
        per_category[expected] += 1
    assert len(per_category) >= 9  # eight categories and never mind
    assert min(per_category.values()) >= 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_faq_topic_accuracy_floor(predictions, capsys, language):
    results = predictions[heldout("faq", language)]
    assert report(f"FAQ topic accuracy [{language}]", results, capsys) >= FAQ_TOPIC_FLOOR[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_general_intent_accuracy_floor(predictions, capsys, language):
    results = predictions[heldout("general", language)]
    assert report(f"General intent accuracy [{language}]", results, capsys) >= GENERAL_FLOOR[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_category_accuracy_floor(predictions, capsys, language):
    """The complaint category picks the apology and the compensation: it must be right."""
    results = predictions[heldout("complaints", language)]
    title = f"Complaint categories and never mind [{language}]"
    assert report(title, results, capsys) >= COMPLAINT_FLOOR[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaints_are_recognised_as_complaints(predictions, language):
    """Even with the wrong category, a complaint must start the recovery, not an FAQ answer."""
    results = [r for r in predictions[heldout("complaints", language)] if r[1].startswith("complain_")]
    recognised = sum(predicted.startswith("complain_") for _, _, predicted in results)
    assert recognised / len(results) >= RECOGNISED_FLOOR[language]


@pytest.mark.parametrize("name", [SECOND_FA, SECOND_EN])
def test_the_second_sets_cover_every_topic_and_category(predictions, name):
    per_label = defaultdict(int)
    for _, expected, _ in predictions[name]:
        per_label[expected] += 1
    assert sum(label.startswith("faq/") for label in per_label) >= 25
    assert sum(label.startswith("complain_") for label in per_label) >= 8
    assert min(per_label.values()) >= 3


@pytest.mark.parametrize(("name", "language"), [(SECOND_FA, "fa"), (SECOND_EN, "en")])
def test_the_second_sets_floors(predictions, capsys, name, language):
    floors = SECOND_FLOORS[name]
    results = predictions[name]
    faq = report(f"FAQ topic accuracy [{language}, set 2]", [r for r in results if r[1].startswith("faq/")], capsys)
    complaints = [r for r in results if r[1].startswith("complain_")]
    category = report(f"Complaint categories [{language}, set 2]", complaints, capsys)
    recognised = sum(predicted.startswith("complain_") for _, _, predicted in complaints) / len(complaints)
    with capsys.disabled():
        print(f"Complaints recognised [{language}, set 2]: {recognised:.3f} of {len(complaints)}")
    assert faq >= floors["faq"] and recognised >= floors["recognised"]
    assert category >= floors.get("category", 0.0)


def test_accuracy_side_by_side(predictions, capsys):
    """English and Persian next to each other, as `make test` shows them."""
    with capsys.disabled():
        print("\nHeld-out accuracy      en     fa")
        for kind in ("faq", "general", "complaints"):
            scores = [accuracy(predictions[heldout(kind, language)])[0] for language in LANGUAGES]
            print(f"  {kind:<20}" + "".join(f"{score:7.3f}" for score in scores))


def training_key(text: str) -> str:
    """A phrasing as compared with the training data: entities unwrapped, Persian spelling canonical."""
    from bot.assistant.nlu.persian_normaliser import canonical

    return canonical(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)).lower().strip("?!. ")


def training_keys() -> set[str]:
    training = set()
    for path in (PROJECT_DIR / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- ") and "intent" in block:
                    training.add(training_key(line.strip()[2:].strip()))
    return training


def test_persian_held_out_phrasings_are_not_in_the_training_data():
    """Written apart from nlu/fa/: not even a respelling of a training example."""
    training = training_keys()
    names = [heldout(kind, "fa") for kind in ("faq", "general", "complaints")] + [SECOND_FA]
    persian = [text for name in names for text, _ in load_examples(name)]
    assert [text for text in persian if training_key(text) in training] == []


def test_the_second_english_set_is_not_in_the_training_data():
    """Written apart from nlu/: no phrasing of set 2 may ever be copied into training."""
    training = training_keys()
    assert [text for text, _ in load_examples(SECOND_EN) if training_key(text) in training] == []
