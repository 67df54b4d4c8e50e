"""Handoff to a person: the state machine (transitions: escalate, claim, transfer, resolve,
cancel, time out), its read-only queries, triggers, business-hour rules, wording, the wait
estimate, and the policy the conversation router follows."""
