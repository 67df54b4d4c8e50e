"""Intent classifier on TF-IDF word and character n-grams (a Rasa custom component).

Why not Rasa's LogisticRegressionClassifier on CountVectorsFeaturizer output: that one sees raw
counts and a fixed C=1, which gives flat, badly separated confidences; out-of-scope detection
by threshold then suffers most (measured in `make bench`, see BENCHMARKS.md). Here the text gets
sublinear TF-IDF word 1-2 grams and char_wb 2-5 grams, L2-normalised, and a logistic regression
with a tunable C.

Optional out-of-scope signal (`confidence: similarity`): the reported confidence is the geometric
mean of the class probability and the cosine similarity of the message to the closest training
example of that intent, so a message unlike anything seen scores low even when the classifier is
sure which intent is nearest. The FallbackClassifier threshold then acts on that score.

In config.yml:   - name: bot.assistant.nlu.tfidf_intent_classifier.TfidfIntentClassifier
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.tfidf_features import TfidfComponent, tfidf_transform, tfidf_vectorizer

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(TfidfComponent, IntentClassifier):
    MODEL_FILE = "tfidf_intent_classifier.joblib"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 10.0,
            "class_weight": None,  # or "balanced"
            "max_iter": 3000,
            "confidence": "probability",  # or "similarity" (see module docstring)
            "ranking_length": 10,
        }

    def _use(self, model: dict | None) -> None:
        super()._use(model)
        self._neighbours = self._index_examples(model)

    @staticmethod
    def _index_examples(model: dict | None) -> tuple | None:
        """Training examples grouped by intent (in `classes_` order), transposed once, so the
        closest example of every intent is one sparse product and one `maximum.reduceat`."""
        if not model or "examples" not in model:
            return None
        labels = model["labels"]
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], model["classifier"].classes_)
        return model["examples"][order].T.tocsr(), starts

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.debug("Fewer than two intents: nothing to train.")
            return self._resource
        vectorizer = tfidf_vectorizer(self.config["word_ngrams"], self.config["char_ngrams"])
        features = vectorizer.fit_transform([e.get(TEXT) for e in examples])
        classifier = LogisticRegression(
            C=self.config["C"],
            class_weight=self.config["class_weight"],
            max_iter=self.config["max_iter"],
            random_state=42,
        )
        classifier.fit(features, labels)
        model = {"vectorizer": vectorizer, "classifier": classifier}
        if self.config["confidence"] == "similarity":
            model.update(examples=features, labels=np.array(labels))
        return self._save(model)

    def _confidences(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        model = self._model
        features = tfidf_transform(model["vectorizer"], texts)
        probabilities = model["classifier"].predict_proba(features)
        if self.config["confidence"] != "similarity" or self._neighbours is None:
            return probabilities, probabilities
        examples_t, starts = self._neighbours
        # Two L2-normalised blocks: the dot product / 2 is a cosine in [0, 1].
        similarity = (features @ examples_t).toarray() / 2
        closest = np.maximum.reduceat(similarity, starts, axis=1)
        return np.sqrt(probabilities * closest), probabilities

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        scores, probabilities = self._confidences(texts)
        classes = self._model["classifier"].classes_
        for message, score, probability in zip(messages, scores, probabilities, strict=False):
            order = np.argsort(-probability)  # the intent is the most probable; its score is reported
            ranking = [{"name": str(classes[i]), "confidence": float(score[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages
