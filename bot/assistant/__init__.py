"""The Rasa assistant: loading and asking it, training, NLU components, custom actions."""
