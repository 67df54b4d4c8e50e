"""Which language a message is in, and Persian text in one canonical spelling.

Persian customers type the same word many ways: Arabic ي/ك from an Arabic keyboard, with or
without the zero-width non-joiner ("می‌خوام", "میخوام", "می خوام"), with Persian or Arabic-Indic
digits. The NLU and the survey parsers read the canonical form; the stored text stays as typed.
"""

from __future__ import annotations

import re
import unicodedata

from persiantools import characters, digits

PERSIAN = "fa"
ENGLISH = "en"

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z]")
# persiantools maps ي/ك/ى; these are the other Arabic forms Persian keyboards never produce.
_LETTERS = str.maketrans({"ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی"})
_PUNCTUATION = str.maketrans({"؟": "?", "،": ",", "؛": ";", "٪": "%", "٫": ".", "٬": ","})
# Harakat, superscript alef and tatweel carry no meaning for matching.
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
# Zero-width and direction marks: the non-joiner only separates parts of one word.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# The verb prefix written apart ("می خوام") reads as the joined form ("میخوام").
_VERB_PREFIX = re.compile(r"(?<![\w])(ن?می)\s+(?=[\u0600-\u06ff])")
_SPACES = re.compile(r"\s+")


def script_language(text: str) -> str | None:
    """`fa` or `en` by the letters used; None for text without letters (digits, emoji)."""
    text = to_ascii_digits(text)  # Persian digits are in the Arabic block but are no letters
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return None
    return PERSIAN if arabic >= latin else ENGLISH


def to_ascii_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits as ASCII, for scores and order numbers."""
    return digits.fa_to_en(digits.ar_to_fa(text))


def normalise_persian(text: str) -> str:
    """Canonical spelling of Persian text; Latin text passes through unchanged but for digits."""
    text = unicodedata.normalize("NFC", text)
    text = to_ascii_digits(text)
    if not _ARABIC_SCRIPT.search(text):
        return text
    text = characters.ar_to_fa(text).translate(_LETTERS).translate(_PUNCTUATION)
    text = _MARKS.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _VERB_PREFIX.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


# Content files hold their Persian wording under a top-level `fa:` key, in the same shape as the
# English values around it; what it leaves out stays as in English.
LANGUAGE_SECTIONS = (ENGLISH, PERSIAN)


def in_language(data: dict, language: str | None) -> dict:
    """A content file's values for `language`: its section of that name over the rest."""
    base = {key: value for key, value in data.items() if key not in LANGUAGE_SECTIONS}
    overlay = data.get(language) if language else None
    return _merged(base, overlay) if isinstance(overlay, dict) else base


def _merged(base: dict, overlay: dict) -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def persian_number(text: str) -> str:
    """ASCII digits and separators written the Iranian way: "50,000.5" -> "۵۰٬۰۰۰٫۵"."""
    return digits.en_to_fa(text.replace(",", "\u066c").replace(".", "\u066b"))
