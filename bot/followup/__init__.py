"""Proactive follow-up after a settled complaint: rules, scheduling, sending and the answers."""
