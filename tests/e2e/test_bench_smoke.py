"""`python -m bench --quick`: every part of `make bench` runs end to end on tiny subsets.

Asserts the tables have their rows and that quality numbers are in range; no timings are judged
(the quick run's numbers are a smoke test, and this machine is shared).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def output(model_path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--pipelines", "shipped", "rasa-lr"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def rows(text: str, first_cell: str) -> list[list[str]]:
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(first_cell):
            found.append(cells)
    return found


def test_quick_mode_is_labelled(output):
    assert "QUICK MODE" in output


def test_every_target_has_a_verdict(output):
    for bot in ("sofmattress", "curekart", "powerplay11"):
        for pipeline in ("shipped", "rasa-lr"):
            assert any(r[1] == pipeline for r in rows(output, f"HINT3 v1 {bot} MCC")), (bot, pipeline)
    expected = [
        "Banking77 accuracy",
        "training time per set",
        "REST p50",
        "REST p99",
        "REST throughput",
        "REST overhead",
        "WebSocket p50",
        "WebSocket p99",
        "WebSocket throughput",
        "WebSocket overhead",
        "cold start",
    ]
    for name in expected:
        found = [r for r in rows(output, name) if len(r) == 4]  # the targets table
        assert found, name
        assert all(r[3] == "met" or r[3].startswith("MISSED by ") for r in found), found


def test_nlu_numbers_are_in_range(output):
    results = (
        rows(output, "HINT3 v1") + rows(output, "Banking77") + rows(output, "CLINC150") + rows(output, "own held-out")
    )
    assert len(results) >= 2 * 3 + 2 + 2 + 3  # both pipelines on every set, plus the shipped model
    for row in results:
        for number in re.findall(r"(?:MCC |accuracy |/ )(-?\d\.\d{3})", row[2]):
            assert -1.0 <= float(number) <= 1.0, row


def test_the_shipped_model_understands_its_own_heldout_set(output):
    (row,) = [r for r in rows(output, "own held-out") if r[1].startswith("shipped model")]
    assert float(re.search(r"accuracy (\d\.\d{3})", row[2]).group(1)) >= 0.5, row


def test_load_tables_have_every_transport_and_no_errors(output):
    for transport in ("REST", "WebSocket", "bare Rasa"):
        found = [r for r in rows(output, transport) if r[0] == transport and len(r) == 9]
        assert {int(r[1]) for r in found} == {1, 4}, (transport, found)
        for r in found:
            assert int(r[2]) == int(r[1]) * 3  # every message answered
            assert r[7] == "0", r
    for transport in ("REST", "WebSocket"):  # customers who pause between messages
        (paced,) = [r for r in rows(output, f"{transport}, paced") if len(r) == 9]
        assert (paced[1], paced[2], paced[7]) == ("4", "12", "0"), paced


def test_sentiment_table_is_there(output):
    assert len(rows(output, "VADER tweets")) == 2
    assert len(rows(output, "customer service")) == 2
