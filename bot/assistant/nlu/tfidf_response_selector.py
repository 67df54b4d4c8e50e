"""Response selector for retrieval intents (faq/..., chitchat/...) on TF-IDF n-grams.

Why not Rasa's ResponseSelector: that one is a TensorFlow model run on every message. It made
training take minutes, the server's cold start about a minute and every message pay for two
forward passes, while a logistic regression on the same TF-IDF features as the intent
classifier picks the FAQ topic as well on the held-out set (tests/nlu, measured in
`make bench`). Its output has exactly the shape of Rasa's `response_selector` parse data, so
Rasa's retrieval actions (`utter_faq`, `utter_chitchat`) and `full_retrieval_intent_name` work
unchanged.

In config.yml:   - name: bot.assistant.nlu.tfidf_response_selector.TfidfResponseSelector
                   retrieval_intent: faq
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.tfidf_features import TfidfComponent, tfidf_transform, tfidf_vectorizer

logger = logging.getLogger(__name__)


def utter_action_of(intent_response_key: str) -> str:
    return f"utter_{intent_response_key}"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfResponseSelector(TfidfComponent):
    MODEL_FILE = "tfidf_response_selector.joblib"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": None,  # None: one selector for all retrieval intents
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 10.0,
            "max_iter": 3000,
            "ranking_length": 10,
        }

    @property
    def _selector_key(self) -> str:
        return self.config["retrieval_intent"] or RESPONSE_SELECTOR_DEFAULT_INTENT

    def _examples(self, training_data: TrainingData) -> tuple[list[Message], list[str], dict[str, Any]]:
        """This selector's examples (its retrieval intent's, or all), their response keys, and the
        model's common part; warns when there is nothing to select from."""
        wanted = self.config["retrieval_intent"]
        examples = [
            e
            for e in training_data.intent_examples
            if e.get(INTENT_RESPONSE_KEY) and e.get(TEXT) and (wanted is None or e.get(INTENT) == wanted)
        ]
        labels = [e.get(INTENT_RESPONSE_KEY) for e in examples]
        model: dict[str, Any] = {
            "retrieval_intents": sorted(training_data.retrieval_intents),
            "responses": {key: list(value) for key, value in training_data.responses.items()},
            "labels": sorted(set(labels)),
        }
        if not model["labels"]:
            logger.warning(f"No examples of retrieval intent '{wanted}': this selector will not select.")
        return examples, labels, model

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples, labels, model = self._examples(training_data)
        if len(model["labels"]) >= 2:
            vectorizer = tfidf_vectorizer(self.config["word_ngrams"], self.config["char_ngrams"])
            features = vectorizer.fit_transform([e.get(TEXT) for e in examples])
            classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"], random_state=42)
            classifier.fit(features, labels)
            model.update(vectorizer=vectorizer, classifier=classifier)
        return self._save(model)

    def _rankings(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        return self._ranking([m.get(TEXT) or "" for m in messages])

    def _ranking(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        model = self._model
        if "classifier" not in model:  # a single response key: nothing to choose
            return [[(model["labels"][0], 1.0)] for _ in texts]
        probabilities = model["classifier"].predict_proba(tfidf_transform(model["vectorizer"], texts))
        classes = model["classifier"].classes_
        return [[(str(classes[i]), float(row[i])) for i in np.argsort(-row)] for row in probabilities]

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._model or not self._model["labels"]:
            return messages
        rankings = self._rankings(messages)
        for message, ranking in zip(messages, rankings, strict=False):
            best_key, best_confidence = ranking[0]
            utter_action = utter_action_of(best_key)
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self._model["responses"].get(utter_action) or [{TEXT: best_key}],
                    PREDICTED_CONFIDENCE_KEY: best_confidence,
                    INTENT_RESPONSE_KEY: best_key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {"id": index, PREDICTED_CONFIDENCE_KEY: confidence, INTENT_RESPONSE_KEY: key}
                    for index, (key, confidence) in enumerate(ranking[: self.config["ranking_length"]])
                ],
            }
            properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self._model["retrieval_intents"]
            properties[self._selector_key] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages
