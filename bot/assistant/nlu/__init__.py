"""NLU components registered with Rasa (TF-IDF intent classifier and response selector)."""
