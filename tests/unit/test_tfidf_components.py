"""The TF-IDF intent classifier and response selector as Rasa components: train, persist, load,
and the parse data Rasa's retrieval actions and our "did you mean" buttons read."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.tfidf_intent_classifier import TfidfIntentClassifier
from bot.assistant.nlu.tfidf_response_selector import TfidfResponseSelector

FAQ = {
    "faq/shipping": [
        "how long does shipping take",
        "when will my parcel ship",
        "shipping time please",
        "how fast do you ship",
    ],
    "faq/returns": [
        "how do I return an item",
        "can I send this back",
        "return policy please",
        "I want to return my shoes",
    ],
}
OTHER = {
    "greet": ["hello", "hi there", "good morning", "hey"],
    "chitchat/ask_name": ["what is your name", "who are you", "do you have a name", "what should I call you"],
}


def training_data() -> TrainingData:
    examples = []
    for key, texts in {**FAQ, **OTHER}.items():
        intent = key.split("/")[0]
        for text in texts:
            data = {"text": text, "intent": intent}
            if "/" in key:
                data["intent_response_key"] = key
            examples.append(Message(data=data))
    responses = {f"utter_{key}": [{"text": f"answer for {key}"}] for key in (*FAQ, "chitchat/ask_name")}
    return TrainingData(training_examples=examples, responses=responses)


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def trained(cls, config, storage, name):
    context = ExecutionContext(graph_schema=None, model_id="test")
    resource = Resource(name)
    component = cls.create({**cls.get_default_config(), **config}, storage, resource, context)
    component.train(training_data())
    loaded = cls.load({**cls.get_default_config(), **config}, storage, resource, context)
    return loaded


def test_selector_fills_rasa_response_selector_parse_data(storage):
    selector = trained(TfidfResponseSelector, {"retrieval_intent": "faq"}, storage, "faq_selector")
    (message,) = selector.process([Message(data={"text": "I would like to return my shoes"})])
    properties = message.get("response_selector")
    assert set(properties["all_retrieval_intents"]) == {"faq", "chitchat"}
    response = properties["faq"]["response"]
    assert response["intent_response_key"] == "faq/returns"
    assert response["utter_action"] == "utter_faq/returns"
    assert response["responses"] == [{"text": "answer for faq/returns"}]
    ranking = properties["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking] == ["faq/returns", "faq/shipping"]
    assert ranking[0]["confidence"] > ranking[1]["confidence"]
    assert "chitchat" not in properties  # only its own retrieval intent


def test_selector_with_one_answer_always_selects_it(storage):
    selector = trained(TfidfResponseSelector, {"retrieval_intent": "chitchat"}, storage, "chitchat_selector")
    (message,) = selector.process([Message(data={"text": "what's your name"})])
    response = message.get("response_selector")["chitchat"]["response"]
    assert (response["intent_response_key"], response["confidence"]) == ("chitchat/ask_name", 1.0)


def test_selector_without_examples_leaves_the_message_alone(storage):
    selector = trained(TfidfResponseSelector, {"retrieval_intent": "nothing_like_this"}, storage, "empty_selector")
    (message,) = selector.process([Message(data={"text": "hello"})])
    assert message.get("response_selector") is None


@pytest.mark.parametrize("confidence", ["probability", "similarity"])
def test_classifier_ranks_intents_and_unseen_text_scores_low(storage, confidence):
    classifier = trained(
        TfidfIntentClassifier, {"confidence": confidence, "class_weight": "balanced"}, storage, f"clf_{confidence}"
    )
    seen, unseen = classifier.process([Message(data={"text": "hi there"}), Message(data={"text": "zqxj vwkp"})])
    assert seen.get("intent")["name"] == "greet"
    ranking = seen.get("intent_ranking")
    assert {r["name"] for r in ranking} == {"faq", "greet", "chitchat"}
    assert ranking[0]["confidence"] == seen.get("intent")["confidence"]
    if confidence == "similarity":
        # Nothing in common with any example: the similarity factor pulls it under the shipped
        # fallback threshold (0.3 in config.yml), while a known phrase stays well above it.
        assert unseen.get("intent")["confidence"] < 0.3 < seen.get("intent")["confidence"]
