"""Feedback: sentiment scoring and (later) surveys, recovery and reports."""
