"""Helpers the custom actions share (tracker reading, content, database)."""
