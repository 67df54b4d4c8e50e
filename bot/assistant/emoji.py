"""What a message made only of emoji means to the assistant (decided here, not guessed by the NLU).

The NLU reads words; emoji alone gave it noise ("😀🎉👍" read as "yes" at 0.38 and recorded as a
helpful answer, "😡😡😡" answered with an unrelated "did you mean"). The decision:

- thumbs up alone (👍, any skin tone, repeated) or 👌 means "yes": to a yes/no question it
  answers yes, as a typed "yes" would; thumbs down alone (👎) means "no";
- any other emoji-only message has no intent: the assistant asks for words (EMOJI_ONLY). Its mood
  still counts: the router scores the customer's text (angry faces are negative in
  content/sentiment_lexicon.yml) before the assistant sees it, so a run of 😡 can still call a
  person, but never picks an FAQ, a did-you-mean or a survey answer.
"""

from __future__ import annotations

import unicodedata

YES = "/affirm"
NO = "/deny"
EMOJI_ONLY = "/emoji_only"

_YES_EMOJI = {"👍", "👌"}
_NO_EMOJI = {"👎"}
# Joiners and modifiers that are part of an emoji, not a symbol of their own.
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}
_SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}


def _symbols(text: str) -> list[str] | None:
    """The emoji of an emoji-only text (modifiers dropped), or None if it holds anything else."""
    symbols = []
    for char in text:
        if char.isspace() or char in _JOINERS or char in _SKIN_TONES:
            continue
        if unicodedata.category(char) != "So":  # letters, digits, punctuation: not emoji alone
            return None
        symbols.append(char)
    return symbols or None


def emoji_meaning(text: str) -> str | None:
    """The payload an emoji-only message stands for (YES, NO or EMOJI_ONLY); None for other text."""
    symbols = _symbols(text.strip())
    if symbols is None:
        return None
    if set(symbols) <= _YES_EMOJI:
        return YES
    if set(symbols) <= _NO_EMOJI:
        return NO
    return EMOJI_ONLY
