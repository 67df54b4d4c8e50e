"""Feedback themes: free text (NPS reasons, survey comments, complaint descriptions) sorted into
the themes of content/journey.yml by the assistant's approach (TF-IDF features, a logistic
regression, its probability weighted by the similarity to the closest example); "other" below the
threshold. Trained from the YAML's example phrases in every language when the content loads."""

from __future__ import annotations

from collections.abc import Sequence

from feedback.text_features import tfidf_transform, tfidf_vectorizer

OTHER = "other"
# The assistant's settings (config.yml): word 1-2-grams and char_wb 2-5-grams, C=10.
WORD_NGRAMS, CHAR_NGRAMS, C = (1, 2), (2, 5), 10.0


class ThemeClassifier:
    def __init__(self, examples: dict[str, Sequence[str]], min_confidence: float) -> None:
        """`examples`: theme key -> example phrases (any language)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        texts = [text.lower() for phrases in examples.values() for text in phrases]
        labels = np.array([theme for theme, phrases in examples.items() for _ in phrases])
        if len(set(labels.tolist())) < 2:
            raise ValueError("journey.yml: at least two themes with examples are needed")
        self._vectorizer = tfidf_vectorizer(WORD_NGRAMS, CHAR_NGRAMS)
        features = self._vectorizer.fit_transform(texts)
        self._classifier = LogisticRegression(C=C, max_iter=1000, random_state=42).fit(features, labels)
        order = np.argsort(labels, kind="stable")
        self._starts = np.searchsorted(labels[order], self._classifier.classes_)
        self._examples_t = features[order].T.tocsr()
        self.min_confidence = min_confidence

    def classify(self, texts: Sequence[str]) -> list[str]:
        """The theme of each text, or "other"."""
        import numpy as np

        if not texts:
            return []
        features = tfidf_transform(self._vectorizer, [t.lower() for t in texts])
        probabilities = self._classifier.predict_proba(features)
        # Two L2-normalised blocks: the dot product / 2 is a cosine in [0, 1].
        closest = np.maximum.reduceat((features @ self._examples_t).toarray() / 2, self._starts, axis=1)
        confidence = np.sqrt(probabilities * closest)
        best = confidence.argmax(axis=1)
        classes = self._classifier.classes_
        return [str(classes[b]) if confidence[i, b] >= self.min_confidence else OTHER for i, b in enumerate(best)]
