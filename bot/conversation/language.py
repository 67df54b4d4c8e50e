"""Which language the bot answers a customer in: by the script of each message, remembered per
customer, with the channel's hint (Telegram's language_code, the widget's page language) for a
first message that says nothing by itself."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from feedback.language import PERSIAN, script_language

# Metadata keys: what a channel suggests, and what the router decided (read by the assistant).
HINT_KEY = "language_hint"
LANGUAGE_KEY = "language"
# A Latin message this short from a Persian customer is a product name, "ok" or Finglish: it
# does not switch the conversation to English.
MIN_WORDS_TO_SWITCH_TO_LATIN = 3
# Finglish (Persian in Latin letters, common on Telegram): words no English sentence uses. One of
# them makes a Latin message Persian ("salam, sefaresham kojast?").
FINGLISH = frozenset(
    "salam salaam slm sefaresh sefaresham sefareshm sefareshe kojast koja kojas mikham mikhastam "
    "mikhay lotfan mamnoon mamnun mamnunam mersi chera hanooz hanuz narside naresid nareside "
    "befrestid ferestadid bargasht pardakht kheili kheyli khoobi khubi chetori chetorin mishe "
    "nemishe nemikham bebakhshid ersal dorost kharab pulam tahvil mojood movafegh "
    "khodafez khodahafez mamnoonam mamnunam bastam mirese nayomade narsid narsideh naresideh poolam "
    "hazine chande chejoori chetori chetor poshtibani karshenas sohbat bezanam konam konid "
    "marjoo eshtebahi shekaste takhfif rahgiri peygiri nakone".split()
)
_WORD = re.compile(r"[a-z]+")


def _code(value: Any) -> str | None:
    """ "fa-IR", "FA", "fa_IR" -> "fa"; None for no value."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().replace("_", "-").split("-", 1)[0].lower()


@dataclass(frozen=True)
class Languages:
    """The languages a shop serves (CXBOT_LANGUAGES) and the one for a customer nothing tells."""

    served: tuple[str, ...] = ("en", "fa")
    default: str = "en"

    def __post_init__(self) -> None:
        if not self.served:
            raise ValueError("at least one language must be served")
        if self.default not in self.served:
            raise ValueError(f"the default language {self.default!r} is not one of {', '.join(self.served)}")

    def choose(self, text: str, *, remembered: str | None, hints: Iterable[Any] = ()) -> str:
        """The language of this message: its script; else the customer's language; else a hint.
        A few Latin words ("ok", a product name, "help") say little: they count only when
        neither a remembered language nor a hint says otherwise."""
        if len(self.served) == 1:
            return self.served[0]
        remembered = remembered if remembered in self.served else None
        written = None if text.startswith("/") else _written_in(text)
        if written in self.served and not _few_latin_words(written, text):
            return written
        if remembered:
            return remembered
        for hint in hints:
            code = _code(hint)
            if code in self.served:
                return code
        return written if written in self.served else self.default


def _few_latin_words(written: str, text: str) -> bool:
    return written == "en" and len(text.split()) < MIN_WORDS_TO_SWITCH_TO_LATIN


def _written_in(text: str) -> str | None:
    """The script's language, with Finglish counted as Persian."""
    written = script_language(text)
    if written == "en" and any(word in FINGLISH for word in _WORD.findall(text.lower())):
        return PERSIAN
    return written


def hints_of(locale: str | None, metadata: dict[str, Any]) -> tuple[Any, ...]:
    """The channel's hints for a first message: the page's language, then the user's locale."""
    return (metadata.get(HINT_KEY), locale)
