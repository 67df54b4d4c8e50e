"""Amounts written for a customer, the way their language writes them (content/compensation.yml)."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.language import PERSIAN, persian_number


@dataclass(frozen=True)
class MoneyFormat:
    # "{amount} {currency}", or the currency's name in the language ("{amount} تومان").
    pattern: str = "{amount} {currency}"
    # Digits after the point: 2 for euros (amounts are cents), 0 for Toman or Rial (whole units).
    decimals: int = 2
    # Persian digits and separators ("۵۰٬۰۰۰") instead of ASCII ("50,000").
    persian_digits: bool = False

    def number(self, value: int | str) -> str:
        """A whole number (a percentage, an order number) in this language's digits: 20 -> "۲۰" in Persian."""
        return persian_number(str(value)) if self.persian_digits else str(value)

    def write(self, minor_units: int, currency: str) -> str:
        """E.g. 495 -> "4.95 EUR"; 50000 with decimals 0 in Persian -> "۵۰٬۰۰۰ تومان"."""
        value = minor_units / (10**self.decimals)
        number = f"{value:,.{self.decimals}f}" if self.persian_digits else f"{value:.{self.decimals}f}"
        if self.persian_digits:
            number = persian_number(number)
        return self.pattern.format(amount=number, currency=currency)


def load_formats(raw: object, where: str) -> dict[str, MoneyFormat]:
    """`money_format` of compensation.yml: per language, a pattern, decimals and digits."""
    formats: dict[str, MoneyFormat] = {}
    if raw is None:
        return formats
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: money_format must map languages to formats")
    for language, entry in raw.items():
        entry = entry or {}
        if not isinstance(entry, dict) or "{amount}" not in str(entry.get("pattern", "{amount}")):
            raise ValueError(f"{where}: money_format.{language} needs a pattern with {{amount}}")
        formats[str(language)] = MoneyFormat(
            pattern=str(entry.get("pattern", "{amount} {currency}")),
            decimals=int(entry.get("decimals", 2)),
            persian_digits=bool(entry.get("persian_digits", language == PERSIAN)),
        )
    return formats
