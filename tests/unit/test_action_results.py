"""Action results are still validated against Rasa's schema after bot.assistant.rasa builds the
validator once (it replaces Rasa's per-call `jsonschema.validate`)."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot.assistant.rasa  # noqa: F401  (installs the cached validator)


@pytest.fixture
def action():
    return RemoteAction("action_example", None)


def test_a_valid_result_passes(action):
    result = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", [{"events": "not a list"}, {"events": [{"event": 5}]}, {"responses": "nope"}])
def test_an_invalid_result_fails_like_jsonschema_validate(action, result):
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(result)
    with pytest.raises(jsonschema.ValidationError) as reference:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(reference.value.message)
    assert "Failed to validate Action server response" in ours.value.message
