"""Handoff to a person: its state machine (transitions), triggers and wait estimate."""
