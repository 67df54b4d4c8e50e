"""The TF-IDF features the assistant's NLU uses (bot/assistant/nlu), shared with the feedback
themes (feedback/themes.py) so both read text the same way. No Rasa here."""

from __future__ import annotations


def tfidf_vectorizer(word_ngrams, char_ngrams):
    """Sublinear TF-IDF word and char_wb n-grams, each block L2-normalised."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=tuple(word_ngrams), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams), sublinear_tf=True)),
        ]
    )


def tfidf_transform(vectorizer, texts: list[str]):
    """What `FeatureUnion.transform` returns, without its joblib dispatch (a third of the cost
    for one chat message)."""
    from scipy import sparse

    return sparse.hstack([part.transform(texts) for _, part in vectorizer.transformer_list], format="csr")
