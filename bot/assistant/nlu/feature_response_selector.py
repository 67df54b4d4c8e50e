"""Response selector for retrieval intents (faq/..., chitchat/...) on the shared message features.

The same parse data as TfidfResponseSelector (Rasa's `response_selector` shape, so `utter_faq`
and `full_retrieval_intent_name` work unchanged), but the logistic regression reads the
TextFeaturizer's TF-IDF and embedding features instead of vectorising the text again.

In config.yml:   - name: bot.assistant.nlu.feature_response_selector.FeatureResponseSelector
                   retrieval_intent: faq
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.text_features import combined, features_of
from bot.assistant.nlu.tfidf_response_selector import TfidfResponseSelector

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FeatureResponseSelector(TfidfResponseSelector):
    MODEL_FILE = "feature_response_selector.joblib"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": None,  # None: one selector for all retrieval intents
            "C": 10.0,
            "max_iter": 3000,
            "embedding_weight": 1.0,
            "ranking_length": 10,
        }

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples, labels, model = self._examples(training_data)
        if len(model["labels"]) >= 2:
            tfidf, embeddings = features_of(examples)
            # Only the n-grams this retrieval intent's examples use (the featurizer's vocabulary
            # covers every intent): the others would get zero weights but slow every fitting step.
            columns = np.unique(tfidf.indices)
            classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"], random_state=42)
            classifier.fit(combined(tfidf[:, columns], embeddings, self.config["embedding_weight"]), labels)
            model.update(classifier=classifier, columns=columns)
        return self._save(model)

    def _rankings(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        model = self._model
        if "classifier" not in model:  # a single response key: nothing to choose
            return [[(model["labels"][0], 1.0)] for _ in messages]
        tfidf, embeddings = features_of(messages)
        if model.get("columns") is not None:  # absent from models trained before the columns were kept
            tfidf = tfidf[:, model["columns"]]
        features = combined(tfidf, embeddings, self.config["embedding_weight"])
        probabilities = model["classifier"].predict_proba(features)
        classes = model["classifier"].classes_
        return [[(str(classes[i]), float(row[i])) for i in np.argsort(-row)] for row in probabilities]
