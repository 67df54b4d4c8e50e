"""The Persian normaliser as a Rasa component: training examples and incoming messages reach the
tokenizer, the order-number regex and the classifiers in one spelling."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.persian_normaliser import PersianNormaliser, canonical


def normaliser(tmp_path) -> PersianNormaliser:
    context = ExecutionContext(GraphSchema({}), node_name="normaliser")
    return PersianNormaliser.create({}, LocalModelStorage(tmp_path), Resource("normaliser"), context)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("می\u200cخوام سفارشم رو لغو کنم", "میخوام سفارشم رو لغو کنم"),
        ("میخوام سفارشم رو لغو کنم", "میخوام سفارشم رو لغو کنم"),
        ("می خوام سفارشم رو لغو کنم", "میخوام سفارشم رو لغو کنم"),
        ("يك كيف مي\u200cخواستم", "یک کیف میخواستم"),
        ("سفارش ۴۸۲۹۱۷۳ خراب رسید", "سفارش 4829173 خراب رسید"),
        ("سفارش۴۸۲۹۱۷۳خراب رسید", "سفارش 4829173 خراب رسید"),
        ("where is order 4829173?", "where is order 4829173?"),
    ],
)
def test_messages_are_read_in_one_spelling(tmp_path, typed, read):
    [message] = normaliser(tmp_path).process([Message(data={TEXT: typed})])
    assert message.get(TEXT) == read == canonical(typed)


def test_training_examples_are_normalised_like_messages(tmp_path):
    data = TrainingData(
        training_examples=[
            Message(data={TEXT: "مي\u200cخوام با يك آدم حرف بزنم", "intent": "request_human"}),
            Message(data={TEXT: "hello", "intent": "greet"}),
        ]
    )
    processed = normaliser(tmp_path).process_training_data(data)
    assert [m.get(TEXT) for m in processed.training_examples] == ["میخوام با یک آدم حرف بزنم", "hello"]


def test_the_order_number_regex_finds_persian_digits(tmp_path):
    """The pipeline's first steps as config.yml has them: the entity value is the ASCII number."""
    context = ExecutionContext(GraphSchema({}), node_name="regex")
    storage = LocalModelStorage(tmp_path)
    extractor = RegexEntityExtractor.create(
        {**RegexEntityExtractor.get_default_config(), "use_lookup_tables": False},
        storage,
        Resource("regex"),
        context,
    )
    annotated = Message(
        data={
            TEXT: "order 1234567",
            "intent": "complain",
            "entities": [{"entity": "order_number", "start": 6, "end": 13, "value": "1234567"}],
        }
    )
    extractor.train(TrainingData([annotated], regex_features=[{"name": "order_number", "pattern": r"\b\d{6,10}\b"}]))
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("ws"), context)
    messages = normaliser(tmp_path).process([Message(data={TEXT: "سفارش ۴۸۲۹۱۷۳ خراب رسید"})])
    messages = extractor.process(tokenizer.process(messages))
    assert [(e["entity"], e["value"]) for e in messages[0].get("entities")] == [("order_number", "4829173")]
