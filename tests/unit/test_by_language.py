"""One classifier and selector per language: each learns only from its language's examples and
answers only its language's messages, so Persian data cannot move an English prediction."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.by_language import (
    TfidfIntentClassifierForLanguage,
    TfidfResponseSelectorForLanguage,
    in_language,
    message_language,
)

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "سلام", "سلام وقت بخیر", "درود", "salam"],
    "thanks": ["thank you", "thanks a lot", "cheers", "ممنون", "مرسی", "سپاسگزارم"],
    "goodbye": ["bye", "see you", "goodbye", "خداحافظ", "خدانگهدار"],
}
FAQ = {"faq/returns": ["how do I return this", "چطوری مرجوع کنم"], "faq/shipping": ["shipping time", "ارسال چند روزه"]}


def training_data() -> TrainingData:
    examples = [Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    examples += [
        Message(data={"text": t, "intent": "faq", "intent_response_key": key})
        for key, texts in FAQ.items()
        for t in texts
    ]
    return TrainingData(examples, responses={f"utter_{key}": [{"text": key}] for key in FAQ})


def trained(cls, language: str, tmp_path, **config):
    context = ExecutionContext(graph_schema=None, model_id="test")
    component = cls.create(
        {**cls.get_default_config(), **config, "language": language},
        LocalModelStorage(tmp_path),
        Resource(f"{cls.__name__}_{language}"),
        context,
    )
    component.train(training_data())
    return component


def test_language_by_script_finglish_and_digits_count_as_english():
    assert [message_language(Message(data={"text": t})) for t in ("سلام", "salam", "4829173", "")] == [
        "fa",
        "en",
        "en",
        "en",
    ]


def test_training_data_of_one_language_keeps_the_responses():
    persian = in_language(training_data(), "fa")
    assert {m.get("text") for m in persian.intent_examples} == {
        t
        for texts in (*EXAMPLES.values(), *FAQ.values())
        for t in texts
        if message_language(Message(data={"text": t})) == "fa"
    }
    assert set(persian.responses) == {"utter_faq/returns", "utter_faq/shipping"}


def test_each_classifier_answers_only_its_language(tmp_path):
    english = trained(TfidfIntentClassifierForLanguage, "en", tmp_path)
    persian = trained(TfidfIntentClassifierForLanguage, "fa", tmp_path)
    messages = [Message(data={"text": "مرسی از شما"}), Message(data={"text": "thanks so much"})]
    english.process(messages)
    assert messages[0].get("intent") is None
    assert messages[1].get("intent")["name"] == "thanks"
    persian.process(messages)
    assert messages[0].get("intent")["name"] == "thanks"
    assert {r["name"] for r in messages[0].get("intent_ranking")} == {"greet", "thanks", "goodbye", "faq"}


def test_each_selector_answers_only_its_language(tmp_path):
    persian = trained(TfidfResponseSelectorForLanguage, "fa", tmp_path, retrieval_intent="faq")
    english_message, persian_message = Message(data={"text": "return it"}), Message(data={"text": "مرجوع کنم"})
    persian.process([english_message, persian_message])
    assert english_message.get("response_selector") is None
    assert persian_message.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/returns"
