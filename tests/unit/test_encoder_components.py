"""The sentence encoder and the components on the shared features (TextFeaturizer,
FeatureIntentClassifier, FeatureResponseSelector): train, persist, load, the pinned-file check,
the parse data, and one vectorisation of each message for all of them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu import encoder, text_features
from bot.assistant.nlu.feature_intent_classifier import OUT, FeatureIntentClassifier, mcc_by_threshold
from bot.assistant.nlu.feature_response_selector import FeatureResponseSelector
from bot.assistant.nlu.text_features import TextFeaturizer

EXAMPLES = {
    "faq/shipping": ["how long does shipping take", "when will my parcel ship", "how fast do you ship", "delivery"],
    "faq/returns": ["how do I return an item", "can I send this back", "return policy please", "I want a refund"],
    "greet": ["hello", "hi there", "good morning", "hey"],
    "goodbye": ["bye", "see you later", "goodbye", "that is all, thanks"],
    "complain_damaged_item": ["the vase came broken", "my order arrived damaged", "box was crushed", "cracked"],
    "chitchat/ask_name": ["what is your name", "who are you", "do you have a name", "what should I call you"],
}
PIPELINES = {"encoder": encoder.NAME, "tfidf": "none"}


def training_data() -> TrainingData:
    examples = []
    for key, texts in EXAMPLES.items():
        for text in texts:
            data = {"text": text, "intent": key.split("/")[0]}
            if "/" in key:
                data["intent_response_key"] = key
            examples.append(Message(data=data))
    responses = {f"utter_{key}": [{"text": f"answer for {key}"}] for key in EXAMPLES if "/" in key}
    return TrainingData(training_examples=examples, responses=responses)


def train_and_load(storage, encoder_name: str) -> list:
    """The four components as Rasa's graph trains them, then loaded back from the storage."""
    context = ExecutionContext(graph_schema=None, model_id="test")
    steps = [
        (TextFeaturizer, {"encoder": encoder_name}),
        (FeatureIntentClassifier, {"class_weight": "balanced"}),
        (FeatureResponseSelector, {"retrieval_intent": "faq"}),
        (FeatureResponseSelector, {"retrieval_intent": "chitchat"}),
    ]
    data = training_data()
    loaded = []
    for index, (cls, config) in enumerate(steps):
        config = {**cls.get_default_config(), **config}
        resource = Resource(f"step{index}")
        component = cls.create(config, storage, resource, context)
        component.train(data)
        if isinstance(component, TextFeaturizer):
            data = component.process_training_data(data)
        loaded.append(cls.load(config, storage, resource, context))
    return loaded


def parse(components: list, text: str) -> Message:
    messages = [Message(data={"text": text})]
    for component in components:
        messages = component.process(messages)
    return messages[0]


@pytest.fixture(scope="module", params=sorted(PIPELINES))
def pipeline(request, tmp_path_factory):
    return train_and_load(LocalModelStorage(tmp_path_factory.mktemp(request.param)), PIPELINES[request.param])


def test_embeddings_are_unit_vectors_and_paraphrases_are_closer():
    vectors = encoder.shared_encoder().embed(
        ["my package arrived completely smashed", "the item I received is damaged", "what are your opening hours"]
    )
    assert vectors.shape == (3, encoder.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


@pytest.mark.parametrize("text", ["سفارش من کجاست؟", "", "😀😀", "x" * 5000])
def test_any_text_vectorises(text):
    (vector,) = encoder.shared_encoder().embed([text])
    assert np.all(np.isfinite(vector)) and abs(np.linalg.norm(vector) - 1.0) < 1e-4


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path, monkeypatch):
    role, (package, relative, pinned) = "tokenizer", encoder.FILES["tokenizer"]
    corrupted = tmp_path / "tokenizer.json"
    corrupted.write_bytes(encoder.package_file(package, relative).read_bytes() + b" ")
    monkeypatch.setattr(encoder, "package_file", lambda _package, _relative: corrupted)
    with pytest.raises(encoder.EncoderUnavailable, match="Refusing to load the sentence encoder.*expected " + pinned):
        encoder.SentenceEncoder({role: (package, relative, pinned)})


def test_a_missing_package_is_named():
    with pytest.raises(encoder.EncoderUnavailable, match="no_such_model_package.*encoder: none"):
        encoder.verified_files({"onnx": ("no_such_model_package", "model.onnx", "0" * 64)})


def test_intent_parse_data_has_rasas_shape(pipeline):
    message = parse(pipeline, "my order arrived damaged and crushed")
    intent, ranking = message.get("intent"), message.get("intent_ranking")
    assert intent["name"] == "complain_damaged_item" == ranking[0]["name"]
    assert set(intent) == {"name", "confidence"} and 0.3 <= intent["confidence"] <= 1.0
    assert {r["name"] for r in ranking} == {"faq", "greet", "goodbye", "complain_damaged_item", "chitchat"}
    assert ranking[0] == intent  # ranked by probability; the confidences are similarity-weighted


def test_selector_parse_data_has_rasas_shape(pipeline):
    properties = parse(pipeline, "I would like to return my shoes").get("response_selector")
    assert set(properties["all_retrieval_intents"]) == {"faq", "chitchat"}
    response = properties["faq"]["response"]
    assert response["intent_response_key"] == "faq/returns"
    assert response["utter_action"] == "utter_faq/returns"
    assert response["responses"] == [{"text": "answer for faq/returns"}]
    assert [r["intent_response_key"] for r in properties["faq"]["ranking"]] == ["faq/returns", "faq/shipping"]
    assert properties["chitchat"]["response"]["intent_response_key"] == "chitchat/ask_name"


def test_a_message_unlike_any_example_falls_below_the_fallback_threshold(pipeline):
    classifier = pipeline[1]
    unknown = parse(pipeline, "quantum chromodynamics lecture notes")
    known = parse(pipeline, "when will my parcel ship")
    assert unknown.get("intent")["confidence"] < classifier.config["fallback_threshold"]
    assert known.get("intent")["confidence"] >= classifier.config["fallback_threshold"]
    assert 0.05 <= classifier._model["score_threshold"] <= 0.95


def test_a_persian_message_is_classified_without_error(pipeline):
    intent = parse(pipeline, "سفارش من کجاست؟").get("intent")
    assert intent["name"] in {"faq", "greet", "goodbye", "complain_damaged_item", "chitchat"}
    assert 0.0 <= intent["confidence"] <= 1.0


def test_each_message_is_vectorised_once_for_all_components(pipeline, monkeypatch):
    calls = {"tfidf": 0, "embed": 0}
    tfidf_transform, embed = text_features.tfidf_transform, encoder.SentenceEncoder.embed

    def counted_tfidf(*args, **kwargs):
        calls["tfidf"] += 1
        return tfidf_transform(*args, **kwargs)

    def counted_embed(self, *args, **kwargs):
        calls["embed"] += 1
        return embed(self, *args, **kwargs)

    monkeypatch.setattr(text_features, "tfidf_transform", counted_tfidf)
    monkeypatch.setattr(encoder.SentenceEncoder, "embed", counted_embed)
    message = parse(pipeline, "hello there, how fast do you ship?")
    assert message.get("intent") and message.get("response_selector")["faq"]
    uses_encoder = pipeline[0]._encoder is not None
    assert calls == {"tfidf": 1, "embed": 1 if uses_encoder else 0}


@pytest.mark.parametrize("choice", ["all-MiniLM-L6-v2", "none"])
def test_start_is_refused_in_one_sentence_only_when_the_pipeline_needs_the_missing_encoder(
    tmp_path, monkeypatch, choice
):
    from bot.app.checks import require_encoder
    from bot.app.settings import get_settings

    def unavailable():
        raise encoder.EncoderUnavailable("The sentence encoder cannot import onnxruntime: install it.")

    monkeypatch.setattr(encoder, "shared_encoder", unavailable)
    step = {"name": "bot.assistant.nlu.text_features.TextFeaturizer", "encoder": choice}
    (tmp_path / "config.yml").write_text(yaml.safe_dump({"pipeline": [{"name": "WhitespaceTokenizer"}, step]}))
    settings = dataclasses.replace(get_settings(), project_dir=tmp_path)
    if choice == "none":
        require_encoder(settings)  # the TF-IDF-only pipeline starts without onnxruntime
    else:
        with pytest.raises(SystemExit, match="^cxbot: The sentence encoder cannot import onnxruntime"):
            require_encoder(settings)


def test_the_threshold_sweep_computes_sklearns_mcc_exactly():
    from sklearn.metrics import matthews_corrcoef

    rng = np.random.default_rng(3)
    labels = np.array(["a", "b", "c", OUT])
    truth = list(labels[rng.integers(0, 4, 200)])
    predicted = [t if t != OUT and rng.random() < 0.7 else str(labels[rng.integers(0, 3)]) for t in truth]
    scores = rng.random(200)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    expected = [
        matthews_corrcoef(truth, [OUT if s < t else p for p, s in zip(predicted, scores, strict=True)]) for t in grid
    ]
    assert np.array_equal(mcc_by_threshold(truth, predicted, scores, grid), np.array(expected))
