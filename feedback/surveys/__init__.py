"""Surveys (CES, NPS, CSAT): records, when to ask, scores."""
