"""Custom actions, one per module, run through rasa_sdk (in-process by default)."""
