"""An amount of money the customer typed ("49.90 EUR", "€12,50", "۴۹٫۹۰ یورو"), read in cents.

Only what the customer wrote counts: a number with a currency beside it, or with two decimals
("charged 49.90 twice"). Order numbers and other bare numbers are never read as money, and an
amount in another currency than the shop's is left for a person (None), never converted.
"""

from __future__ import annotations

import re

from feedback.language import to_ascii_digits

# Currency words and signs per ISO code; the shop's code itself always counts.
_CURRENCY_WORDS = {
    "EUR": ("eur", "euro", "euros", "€", "یورو"),
    "USD": ("usd", "dollar", "dollars", "$", "دلار"),
    "GBP": ("gbp", "pound", "pounds", "£", "پوند"),
    "IRT": ("irt", "toman", "tomans", "تومان"),
    "IRR": ("irr", "rial", "rials", "ریال"),
}
_NUMBER = r"\d{1,7}(?:[.,]\d{1,2})?"
_WORD = r"[^\W\d_]+|[€$£]"
_BEFORE = re.compile(rf"(?P<cur>{_WORD})\s?(?P<num>{_NUMBER})(?![\d.,]*\d)")
_AFTER = re.compile(rf"(?<![\d.,])(?P<num>{_NUMBER})\s?(?P<cur>{_WORD})")
_TWO_DECIMALS = re.compile(r"(?<![\d.,])(?P<num>\d{1,7}[.,]\d{2})(?![\d.,]*\d)")
# Persian writes the decimal point as ٫ and groups with ٬ (or the Arabic comma).
_PERSIAN_MARKS = str.maketrans({"٫": ".", "٬": "", "،": ""})


def _currency_of(word: str, shop_currency: str) -> str | None:
    word = word.lower()
    if word == shop_currency.lower():
        return shop_currency
    for code, words in _CURRENCY_WORDS.items():
        if word in words:
            return code
    return None


def _cents(number: str, decimals: int) -> int:
    whole, _, fraction = number.replace(",", ".").partition(".")
    fraction = (fraction + "00")[:decimals] if decimals else ""
    return int(whole + fraction) if decimals else int(whole)


def parse_amount(text: str, shop_currency: str, *, decimals: int = 2) -> int | None:
    """The first amount in the shop's currency the text states, in minor units (cents); None
    when there is none, or when the first amount with a currency is in another currency."""
    text = to_ascii_digits(text or "").translate(_PERSIAN_MARKS)
    found = [m for pattern in (_BEFORE, _AFTER) for m in pattern.finditer(text)]
    for match in sorted(found, key=lambda m: m.start()):
        currency = _currency_of(match["cur"], shop_currency)
        if currency is None:
            continue  # "49.90 for" is no currency: try the next reading
        return _cents(match["num"], decimals) if currency == shop_currency else None
    plain = _TWO_DECIMALS.search(text)
    return _cents(plain["num"], decimals) if plain and decimals == 2 else None
