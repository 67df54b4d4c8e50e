"""Rasa's own checks: `rasa data validate` and the test stories, run with the trained model."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

RASA = str(Path(sys.executable).with_name("rasa"))
ACTIONS_SOURCE = "\n".join(
    p.read_text() for folder in ("bot", "feedback") for p in (PROJECT_DIR / folder).rglob("*.py")
)
CONFIG_SOURCE = (PROJECT_DIR / "config.yml").read_text()
DOMAIN_SOURCE = "\n".join(p.read_text() for p in (PROJECT_DIR / "domain").glob("*.yml"))


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RASA, *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


def unexplained_warnings(output: str) -> list[str]:
    """Validator warnings, minus those Rasa cannot know are fine; each excuse is checked."""
    warnings = re.findall(r"UserWarning: (.+?)(?:\n|$)", output)
    left = []
    for warning in warnings:
        unused = re.match(r"The utterance '(\w+)' is not used in any story or rule", warning)
        if unused and f'"{unused.group(1)}"' in ACTIONS_SOURCE:
            continue  # sent by a custom action
        if unused and f'f"{unused.group(1).rsplit("_", 1)[0]}_{{' in ACTIONS_SOURCE:
            continue  # picked by a custom action, e.g. f"utter_apologise_{severity}"
        if unused and unused.group(1).startswith("utter_ask_") and f"- {unused.group(1)[10:]}\n" in DOMAIN_SOURCE:
            continue  # asked by a form for its required slot
        if unused and unused.group(1) == "utter_default" and "action_default_fallback" in CONFIG_SOURCE:
            continue  # sent by Rasa's action_default_fallback, the core fallback in config.yml
        button_only = re.match(r"The intent '(\w+)' is listed in the domain file, but is not found", warning)
        if button_only and any(f"{q}/{button_only.group(1)}" in DOMAIN_SOURCE + ACTIONS_SOURCE for q in "'\""):
            continue  # reached only through button payloads
        unrouted = re.match(r"The intent '(\w+)' is not used in any story or rule", warning)
        if unrouted and f'"{unrouted.group(1)}"' in ACTIONS_SOURCE:
            continue  # read inside a form by its validation action
        if warning.startswith(
            "The following duplicated intents have been found across multiple domain files: chitchat, faq"
        ):
            continue  # Rasa adds retrieval intents found in NLU data to the domain a second time
        if warning.startswith("Slot auto-fill has been removed in 3.0"):
            continue  # printed by Rasa 3.6 for every domain with slots
        left.append(warning)
    return left


def test_rasa_data_validate_is_clean():
    result = rasa("data", "validate", "--domain", "domain", "--data", "nlu", "stories")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert unexplained_warnings(output) == []


def test_stories_pass_with_the_trained_model(model_path, tmp_path):
    result = rasa(
        "test",
        "core",
        "--model",
        str(model_path),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    failed = tmp_path / "failed_test_stories.yml"
    assert not failed.exists() or "story:" not in failed.read_text(), failed.read_text()
