"""One vectorisation of a message for every NLU component that follows (a Rasa featurizer).

Each message gets two sentence features once: sublinear TF-IDF word and char_wb n-grams (exact
words: product names, order-number contexts, and any script, Persian included) and, unless
`encoder: none`, the all-MiniLM-L6-v2 embedding (paraphrase; bot/assistant/nlu/encoder.py). The
intent classifier and the response selectors read both with `features_of`; none of them
vectorises text itself.

In config.yml:   - name: bot.assistant.nlu.text_features.TextFeaturizer
                   encoder: all-MiniLM-L6-v2   # or none: TF-IDF only (no onnxruntime needed)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from bot.assistant.nlu import encoder as encoder_module
from bot.assistant.nlu.tfidf_features import TfidfComponent, tfidf_transform, tfidf_vectorizer
from feedback.language import ENGLISH, script_language

logger = logging.getLogger(__name__)

TFIDF_ORIGIN = "cxbot_tfidf"
EMBEDDING_ORIGIN = "cxbot_embedding"
NO_ENCODER = encoder_module.NO_ENCODER


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class TextFeaturizer(TfidfComponent):
    MODEL_FILE = "text_featurizer.joblib"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # `language`: only that language's messages (by script) are featurised and fitted on; the
        # encoder is English-only, and Persian examples in the IDF cost English accuracy.
        return {"encoder": encoder_module.NAME, "word_ngrams": [1, 2], "char_ngrams": [2, 5], "language": None}

    def _mine(self, message: Message) -> bool:
        language = self.config.get("language")
        return bool(message.get(TEXT)) and (
            language is None or (script_language(message.get(TEXT)) or ENGLISH) == language
        )

    def _use(self, model: dict | None) -> None:
        super()._use(model)
        name = self.config["encoder"]
        if name in NO_ENCODER:
            self._encoder = None
        elif name == encoder_module.NAME:
            # Raises EncoderUnavailable (missing package, file not the pinned one): no start.
            self._encoder = encoder_module.shared_encoder()
        else:
            raise ValueError(f"Unknown encoder '{name}' in config.yml: use {encoder_module.NAME} or none.")

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.training_examples if self._mine(m)]
        vectorizer = tfidf_vectorizer(self.config["word_ngrams"], self.config["char_ngrams"])
        vectorizer.fit(texts or ["-"])
        return self._save({"vectorizer": vectorizer})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        every = self.config.get("language") is None
        todo = [m for m in messages if not _has(m, TFIDF_ORIGIN) and (every or self._mine(m))]
        if self._model is None or not todo:
            return messages
        texts = [m.get(TEXT) or "" for m in todo]
        tfidf = tfidf_transform(self._model["vectorizer"], texts)
        embeddings = self._encoder.embed(texts) if self._encoder is not None else None
        for row, message in enumerate(todo):
            message.add_features(Features(tfidf[row], FEATURE_TYPE_SENTENCE, TEXT, TFIDF_ORIGIN))
            if embeddings is not None:
                message.add_features(Features(embeddings[row : row + 1], FEATURE_TYPE_SENTENCE, TEXT, EMBEDDING_ORIGIN))
        return messages


def _has(message: Message, origin: str) -> bool:
    return any(f.origin == origin and f.attribute == TEXT for f in message.features)


def _feature(message: Message, origin: str):
    for f in message.features:
        if f.origin == origin and f.attribute == TEXT:
            return f.features
    return None


def features_of(messages: Sequence[Message]) -> tuple[sparse.csr_matrix, np.ndarray | None]:
    """The TextFeaturizer's TF-IDF rows and embedding rows (None: a TF-IDF-only pipeline)."""
    tfidf = [_feature(m, TFIDF_ORIGIN) for m in messages]
    if any(row is None for row in tfidf):
        raise ValueError("A message has no TextFeaturizer features: put TextFeaturizer before it in config.yml.")
    embeddings = [_feature(m, EMBEDDING_ORIGIN) for m in messages]
    dense = None if any(e is None for e in embeddings) else np.vstack(embeddings).astype(np.float32)
    return sparse.vstack(tfidf, format="csr"), dense


def combined(tfidf: sparse.csr_matrix, embeddings: np.ndarray | None, embedding_weight: float) -> sparse.csr_matrix:
    """One design matrix: the two unit-length TF-IDF blocks and the weighted unit embedding."""
    if embeddings is None:
        return tfidf
    return sparse.hstack([tfidf, sparse.csr_matrix(embeddings * embedding_weight)], format="csr")
