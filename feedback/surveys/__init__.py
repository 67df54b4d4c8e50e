"""Surveys (CES, NPS, CSAT): records, when to ask (plan, state), what an answer leads to (outcome), scores."""
