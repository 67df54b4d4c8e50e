"""The decided meaning of emoji-only messages (bot/assistant/emoji.py)."""

from __future__ import annotations

import pytest

from bot.assistant.emoji import EMOJI_ONLY, NO, YES, emoji_meaning


@pytest.mark.parametrize(
    "text, meaning",
    [
        ("👍", YES),
        (" 👍🏽👍 ", YES),  # skin tones and repeats
        ("👌", YES),
        ("👎", NO),
        ("😀🎉👍", EMOJI_ONLY),  # happy, but not a "yes"
        ("😡😡😡", EMOJI_ONLY),  # angry: counted in the mood, no intent
        ("❤️", EMOJI_ONLY),
        ("👨‍👩‍👧", EMOJI_ONLY),
        ("ok 👍", None),  # words: the NLU reads it
        ("5", None),
        ("1️⃣", None),  # a keycap digit can answer a survey
        ("?", None),
        ("", None),
    ],
)
def test_emoji_only_messages_have_a_decided_meaning(text, meaning):
    assert emoji_meaning(text) == meaning
