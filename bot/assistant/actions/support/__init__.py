"""Helpers the custom actions share: tracker reading, the action context (content, database, shop
name), the form validation base, Rasa buttons and replies for service outcomes, and the handoff
port given to the services."""
