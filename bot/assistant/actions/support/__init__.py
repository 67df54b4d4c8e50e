"""Helpers the custom actions share: tracker reading, content, database, the form validation base,
Rasa buttons and replies for service outcomes, and the handoff port given to the services."""
