"""Intent classifier on the shared message features (TextFeaturizer: TF-IDF + sentence embedding).

A logistic regression on both feature blocks picks the intent. Out of scope is decided by the
geometry too: the raw score of an intent is sqrt(probability x similarity of the message to the
closest training example of that intent), the similarity averaging the embedding and TF-IDF
cosines (TF-IDF alone in a TF-IDF-only pipeline, which is then exactly TfidfIntentClassifier's
`confidence: similarity`). The raw score below which a message counts as unknown is chosen at
training time by cross-validation on the training data alone: each fold holds out a share of the
intents (their examples play the out-of-scope part) and every k-th example of the others (in
scope); the threshold with the best MCC wins, as the benchmark's rule requires.

The reported confidence is the raw score mapped so that this threshold lands exactly on
`fallback_threshold` (keep it equal to the FallbackClassifier's threshold). The parse data keeps
its shape, so the FallbackClassifier, "did you mean" and the actions read it as before.

In config.yml:   - name: bot.assistant.nlu.feature_intent_classifier.FeatureIntentClassifier
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.assistant.nlu.text_features import combined, features_of
from bot.assistant.nlu.tfidf_features import TfidfComponent

logger = logging.getLogger(__name__)
OUT = "\x00out_of_scope"  # the label of held-out intents in the cross-validation


_blas: Any = None


def one_blas_thread():
    """A context with OpenBLAS on one thread. A message's product with the training embeddings
    is small: on two threads the idle one spun on after each message, doubling the NLU's CPU time
    per message (measured 15.5 ms of CPU for 7.8 ms of wall time) on cores the server shares."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def class_similarity(queries, references, starts: np.ndarray, references_t=None) -> np.ndarray:
    """Cosine of each query to the closest reference example of every class (references sorted by
    class, `starts` where each class begins). A TF-IDF row has two unit blocks, hence the halving.
    `references_t`: the sparse references already transposed to CSR (else converted per call)."""
    if isinstance(references, np.ndarray):
        with one_blas_thread():
            products = queries @ references.T
    else:
        products = (queries @ (references.T.tocsr() if references_t is None else references_t)).toarray() / 2
    return np.maximum.reduceat(np.asarray(products), starts, axis=1)


def subsample(labels: np.ndarray, per_label: int, seed: int = 13) -> np.ndarray:
    """At most `per_label` rows of each label (bounds the cost of the cross-validation)."""
    rng = np.random.default_rng(seed)
    rows = [rng.permutation(np.flatnonzero(labels == label))[:per_label] for label in np.unique(labels)]
    return np.sort(np.concatenate(rows))


def mcc_by_threshold(truth: list[str], predicted: list[str], scores: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """sklearn's matthews_corrcoef (same arithmetic) of the predictions, out of scope below each
    threshold of `grid`, from label counts (sklearn's call, 12 ms a threshold on CLINC150, 1 s a sweep)."""
    index = {name: i for i, name in enumerate(sorted({*truth, *predicted, OUT}))}
    true = np.array([index[name] for name in truth])
    guess = np.array([index[name] for name in predicted])
    true_sum = np.bincount(true, minlength=len(index)).astype(np.float64)
    samples = float(len(true))
    values = []
    for threshold in grid:
        decided = np.where(scores < threshold, index[OUT], guess)
        predicted_sum = np.bincount(decided, minlength=len(index)).astype(np.float64)
        cov_ytyp = float(np.sum(decided == true)) * samples - np.dot(true_sum, predicted_sum)
        cov_ypyp = samples**2 - np.dot(predicted_sum, predicted_sum)
        cov_ytyt = samples**2 - np.dot(true_sum, true_sum)
        values.append(0.0 if cov_ypyp * cov_ytyt == 0 else cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp))
    return np.array(values)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FeatureIntentClassifier(TfidfComponent, IntentClassifier):
    MODEL_FILE = "feature_intent_classifier.joblib"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 10.0,
            "class_weight": None,  # or "balanced"
            "max_iter": 3000,
            "embedding_weight": 1.0,  # the embedding block's length beside the two TF-IDF blocks
            "cv_folds": 3,
            "cv_examples_per_intent": 25,  # bounds the cross-validation's cost on big data sets
            "fallback_threshold": 0.3,  # the FallbackClassifier's threshold
            "ranking_length": 10,
        }

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = np.array([e.get(INTENT) for e in examples])
        if len(set(labels)) < 2:
            logger.debug("Fewer than two intents: nothing to train.")
            return self._resource
        tfidf, embeddings = features_of(examples)
        model = self._fit(tfidf, embeddings, labels)
        model["score_threshold"] = self._cv_threshold(tfidf, embeddings, labels)
        logger.debug(f"Out-of-scope score threshold by cross-validation: {model['score_threshold']:.2f}")
        return self._save(model)

    def _fit(self, tfidf, embeddings: np.ndarray | None, labels: np.ndarray) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        classifier = LogisticRegression(
            C=self.config["C"],
            class_weight=self.config["class_weight"],
            max_iter=self.config["max_iter"],
            random_state=42,
        )
        classifier.fit(combined(tfidf, embeddings, self.config["embedding_weight"]), labels)
        order = np.argsort(labels, kind="stable")
        return {
            "classifier": classifier,
            "tfidf": tfidf[order],
            "embeddings": None if embeddings is None else embeddings[order],
            "starts": np.searchsorted(labels[order], classifier.classes_),
            "score_threshold": None,
        }

    def _cv_threshold(self, tfidf, embeddings: np.ndarray | None, labels: np.ndarray) -> float:
        """The raw-score threshold with the best MCC over folds that hold out whole intents
        (out of scope) and every k-th example of the others (in scope): training data only."""
        folds = self.config["cv_folds"]
        rows = subsample(labels, self.config["cv_examples_per_intent"])
        intents = sorted(set(labels))
        random.Random(13).shuffle(intents)
        position = np.zeros(len(labels), dtype=int)
        for intent in intents:
            mine = rows[labels[rows] == intent]
            position[mine] = np.arange(len(mine))
        truth: list[str] = []
        predicted: list[str] = []
        scores: list[float] = []
        for k in range(folds):
            unseen = np.isin(labels[rows], intents[k::folds])
            held_in = ~unseen & (position[rows] % folds == k)
            train, test, out = rows[~unseen & ~held_in], rows[unseen | held_in], unseen[unseen | held_in]
            if len(set(labels[train])) < 2 or not len(test):
                continue
            # Only the n-grams of the fold's training rows: the others would get zero weights and
            # add nothing to a cosine with those rows, but they make every optimiser step longer.
            used = np.unique(tfidf[train].indices)
            fold = self._fit(tfidf[train][:, used], None if embeddings is None else embeddings[train], labels[train])
            raw, probabilities = self.raw_scores(
                fold, tfidf[test][:, used], None if embeddings is None else embeddings[test]
            )
            best = probabilities.argmax(axis=1)
            truth += [OUT if out else label for out, label in zip(out, labels[test], strict=True)]
            predicted += list(fold["classifier"].classes_[best])
            scores += list(raw[np.arange(len(test)), best])
        if not truth:
            return self.config["fallback_threshold"]
        grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
        return float(grid[np.argmax(mcc_by_threshold(truth, predicted, np.array(scores), grid))])  # ties: lowest

    def _use(self, model: dict | None) -> None:
        super()._use(model)
        # Transposed once: the sparse product with the plain transpose (CSC) converted all the
        # training rows to CSR again for every message.
        self._references_t = None if model is None else model["tfidf"].T.tocsr()

    def raw_scores(
        self, model: dict, tfidf, embeddings: np.ndarray | None, references_t=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(sqrt(probability x similarity to the closest example of the intent), probabilities);
        the similarity averages the embedding and TF-IDF cosines (TF-IDF alone without an encoder)."""
        if model["embeddings"] is not None and embeddings is None:
            raise ValueError("This classifier was trained with embeddings; the featurizer now gives none.")
        features = combined(
            tfidf, embeddings if model["embeddings"] is not None else None, self.config["embedding_weight"]
        )
        probabilities = model["classifier"].predict_proba(features)
        similarity = class_similarity(tfidf, model["tfidf"], model["starts"], references_t)
        if model["embeddings"] is not None:
            similarity = (similarity + class_similarity(embeddings, model["embeddings"], model["starts"])) / 2
        return np.sqrt(probabilities * np.clip(similarity, 0.0, 1.0)), probabilities

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """Raw scores mapped piecewise linearly: 0 -> 0, CV threshold -> fallback_threshold, 1 -> 1."""
        t, target = self._model["score_threshold"], self.config["fallback_threshold"]
        low = raw * target / t
        high = target + (raw - t) * (1 - target) / (1 - t)
        return np.where(raw < t, low, high)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        raw, probabilities = self.raw_scores(self._model, *features_of(messages), self._references_t)
        scores = self.calibrated(raw)
        classes = self._model["classifier"].classes_
        for message, score, probability in zip(messages, scores, probabilities, strict=False):
            order = np.argsort(-probability)  # the intent is the most probable; its score is reported
            ranking = [{"name": str(classes[i]), "confidence": float(score[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages
