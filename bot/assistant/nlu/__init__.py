"""NLU components registered with Rasa: the shared featurizer (TF-IDF + sentence encoder), intent
classifier and response selectors on its features; the older TF-IDF-only components."""
