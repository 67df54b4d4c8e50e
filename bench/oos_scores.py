"""Out-of-scope scores from the encoder's geometry on HINT3, each with its threshold by CV on train.

    .venv/bin/python -m bench.oos_scores [sofmattress curekart powerplay11]

Not part of `make bench`: it compares candidate raw scores for FeatureIntentClassifier on the
same features (TF-IDF word 1-2 + char_wb 2-5 and the all-MiniLM-L6-v2 embedding, logistic
regression C=10, balanced). For each score the threshold is the one with the best pooled MCC over
the benchmark's 3 folds of the train split (a third of the intents held out as out of scope, a
third of the others' examples in scope; bench/nlu.py, `cv_threshold`), applied once to the test
split. A score may only be chosen by its CV MCC (the last column but one); the test MCC is
printed for the record, never to choose.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from bench.data import OOS, heldout_intent_folds, hint3
from bench.nlu import HINT3_BOTS

GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)


def top_k_in_class(similarities: np.ndarray, labels: np.ndarray, predicted: np.ndarray, k: int = 3) -> np.ndarray:
    """Mean of the k highest cosines to training examples of the predicted intent (kNN)."""
    out = np.zeros(len(predicted))
    for row, label in enumerate(predicted):
        out[row] = np.sort(similarities[row, labels == label])[::-1][:k].mean()
    return out


def candidate_scores(train: Sequence[str], labels: Sequence[str], test: Sequence[str]):
    """(predicted intents, {score name: one score per test text}) after one fit on `train`."""
    from sklearn.linear_model import LogisticRegression

    from bot.assistant.nlu.encoder import shared_encoder
    from bot.assistant.nlu.feature_intent_classifier import class_similarity
    from bot.assistant.nlu.text_features import combined
    from feedback.text_features import tfidf_transform, tfidf_vectorizer

    vectorizer = tfidf_vectorizer([1, 2], [2, 5])
    vectorizer.fit(train)
    tfidf_train, tfidf_test = tfidf_transform(vectorizer, list(train)), tfidf_transform(vectorizer, list(test))
    embed_train, embed_test = shared_encoder().embed(train), shared_encoder().embed(test)
    y = np.array(labels)
    model = LogisticRegression(C=10, class_weight="balanced", max_iter=3000, random_state=42)
    model.fit(combined(tfidf_train, embed_train, 1.0), y)
    probabilities = model.predict_proba(combined(tfidf_test, embed_test, 1.0))
    order = np.argsort(y, kind="stable")
    starts = np.searchsorted(y[order], model.classes_)
    best = probabilities.argmax(axis=1)
    rows = np.arange(len(test))
    p = probabilities[rows, best]
    s_tfidf = np.clip(class_similarity(tfidf_test, tfidf_train[order], starts), 0, 1)[rows, best]
    s_embed = np.clip(class_similarity(embed_test, embed_train[order], starts), 0, 1)[rows, best]
    predicted = model.classes_[best]
    knn = np.clip(top_k_in_class(embed_test @ embed_train.T, y, predicted), 0, 1)
    margin = np.clip(p - np.sort(probabilities, axis=1)[:, -2], 0, 1)
    return predicted, {
        "shipped: sqrt(p x (s_emb + s_tfidf) / 2)": np.sqrt(p * (s_embed + s_tfidf) / 2),
        "sqrt(p x s_emb)": np.sqrt(p * s_embed),
        "p (probability alone)": p,
        "sqrt(p x kNN-3 embedding cosine)": np.sqrt(p * knn),
        "kNN-3 embedding cosine alone": knn,
        "(p + s_emb) / 2": (p + s_embed) / 2,
        "p^1/3 x s_emb^2/3": p ** (1 / 3) * s_embed ** (2 / 3),
        "sqrt(margin x s_emb)": np.sqrt(margin * s_embed),
    }


def mcc_at(truth: Sequence[str], predicted: Sequence[str], scores: np.ndarray, threshold: float) -> float:
    from sklearn.metrics import matthews_corrcoef

    return float(
        matthews_corrcoef(truth, [OOS if s < threshold else p for p, s in zip(predicted, scores, strict=True)])
    )


def cv_thresholds(examples: list[tuple[str, str]], folds: int = 3, seed: int = 13) -> dict[str, tuple[float, float]]:
    """{score name: (threshold, pooled CV MCC)}, on the folds of bench/nlu.py's cv_threshold."""
    truth: list[str] = []
    predicted: list[str] = []
    pooled: dict[str, list[float]] = {}
    for train, test in heldout_intent_folds(examples, folds, seed):
        fold_predicted, scores = candidate_scores([t for t, _ in train], [lb for _, lb in train], [t for t, _ in test])
        truth += [label for _, label in test]
        predicted += list(fold_predicted)
        for name, values in scores.items():
            pooled.setdefault(name, []).extend(values)
    chosen = {}
    for name, values in pooled.items():
        array = np.array(values)
        threshold = max(GRID, key=lambda t: (mcc_at(truth, predicted, array, t), -t))
        chosen[name] = (float(threshold), mcc_at(truth, predicted, array, threshold))
    return chosen


def main() -> None:
    print("| set | raw score | CV threshold | CV MCC (train only) | test MCC at the CV threshold |")
    print("|---|---|---|---|---|")
    for bot in sys.argv[1:] or HINT3_BOTS:
        train, test = hint3(bot)
        chosen = cv_thresholds(train)
        predicted, scores = candidate_scores([t for t, _ in train], [lb for _, lb in train], [t for t, _ in test])
        truth = [label for _, label in test]
        for name, values in scores.items():
            threshold, cv_mcc = chosen[name]
            test_mcc = mcc_at(truth, predicted, values, threshold)
            print(f"| {bot} | {name} | {threshold:.2f} | {cv_mcc:.3f} | {test_mcc:.3f} |")


if __name__ == "__main__":
    main()
