"""When a long conversation gets a new Rasa session (bot/assistant/sessions.py): after the limit, at
a quiet point only, and at four times the limit anyway, with a running form kept running."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.assistant.sessions import QUESTION_ACTIONS, needs_new_session, start_session_keeping_loop

PROJECT_DIR = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(PROJECT_DIR / "domain"))


def turns(count: int, last_action: str = "utter_greet", *extra) -> DialogueStateTracker:
    events = [SessionStarted(), ActionExecuted("action_listen")]
    for _ in range(count):
        events += [UserUttered("hi", {"name": "greet"}), ActionExecuted("utter_greet"), ActionExecuted("action_listen")]
    events[-2] = ActionExecuted(last_action)
    events[-1:-1] = list(extra)
    return DialogueStateTracker.from_events("c1", events, DOMAIN.slots)


@pytest.mark.parametrize(
    ("count", "last_action", "extra", "expected"),
    [
        (4, "utter_greet", (), False),  # below the limit
        (5, "utter_greet", (), True),  # at the limit, quiet
        (5, "utter_ask_faq_helpful", (), False),  # "Did that answer your question?" waits for its answer
        (5, "action_offer_compensation", (), False),  # the offer waits for yes or no
        (5, "recovery_form", (ActiveLoop("recovery_form"), SlotSet("requested_slot", "order_number")), False),
        (5, "survey_form", (ActiveLoop("survey_form"),), False),
        (19, "utter_ask_faq_helpful", (), False),
        (20, "utter_ask_faq_helpful", (), True),  # four times the limit: anyway
        (20, "recovery_form", (ActiveLoop("recovery_form"), SlotSet("requested_slot", "order_number")), True),
    ],
)
def test_a_new_session_waits_for_the_limit_and_a_quiet_point(count, last_action, extra, expected):
    assert needs_new_session(turns(count, last_action, *extra), limit=5) is expected


@pytest.mark.parametrize(
    ("intents", "expected"),
    [
        (["greet", "nlu_fallback"], False),  # "did you mean" counts a run of these
        (["nlu_fallback", "deny"], False),  # "none of these" does not end the run
        (["nlu_fallback", "greet"], True),
    ],
)
def test_a_run_of_misunderstood_messages_is_not_a_quiet_point(intents, expected):
    tracker = turns(5)
    for intent in intents:
        said = UserUttered("?", {"name": intent})
        tracker.update_with_events([said, ActionExecuted("utter_rephrase"), ActionExecuted("action_listen")], DOMAIN)
    assert needs_new_session(tracker, limit=5) is expected


def test_every_rule_that_reads_the_bots_last_action_has_it_counted_as_a_question():
    """A rule that starts with a bot action and then the customer's reply breaks if a new session
    comes between them; such actions must be in QUESTION_ACTIONS (loops are checked apart)."""
    loops = {form for form in DOMAIN.form_names}
    readers = set()
    for path in (PROJECT_DIR / "stories").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text()).get("rules", []):
            steps = rule["steps"]
            if len(steps) > 1 and "action" in steps[0] and ("intent" in steps[1] or "or" in steps[1]):
                readers.add(steps[0]["action"])
    assert readers, "the rules changed shape: this test reads none"
    assert readers - loops <= QUESTION_ACTIONS


async def test_a_session_started_at_the_hard_limit_keeps_the_form_running():
    tracker = turns(20, "recovery_form", ActiveLoop("recovery_form"), SlotSet("requested_slot", "order_number"))

    async def rasa_session_start(tracker, *_args, **_kwargs):
        # What Rasa's processor appends when action_session_start runs (it carries the slots).
        tracker.update_with_events(
            [
                ActionExecuted("action_session_start"),
                SessionStarted(),
                SlotSet("requested_slot", "order_number"),
                ActionExecuted("action_listen"),
            ],
            DOMAIN,
        )

    await start_session_keeping_loop(rasa_session_start, tracker)
    assert tracker.active_loop_name == "recovery_form"
    assert tracker.get_slot("requested_slot") == "order_number"


async def test_no_session_start_leaves_the_loop_alone():
    tracker = turns(3, "recovery_form", ActiveLoop("recovery_form"))
    events = len(tracker.events)

    async def nothing(*_args, **_kwargs):
        return None

    await start_session_keeping_loop(nothing, tracker)
    assert len(tracker.events) == events and tracker.active_loop_name == "recovery_form"
