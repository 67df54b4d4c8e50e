"""Conversations: the router that owns them, the message store, events."""
