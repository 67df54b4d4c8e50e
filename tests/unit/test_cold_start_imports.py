"""What `cxbot run` loads before the assistant: libraries it does not need yet stay unimported,
and what was made lazy for it keeps its behaviour (the login's timing safety, TextBlob's numbers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher

from bot.desk import auth

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Imports the server and its CLI, reads the content (which builds the sentiment scorers) and reports.
STARTUP = """
import json, sys
import bot.app.cli, bot.app.server
from bot.app.content import load_content
from bot.app.settings import get_settings
from bot.desk import auth
load_content(get_settings().content_dir)
print(json.dumps({
    "modules": sorted(m for m in ("nltk", "textblob", "telegram") if m in sys.modules),
    "dummy_hashes": auth._dummy_hash.cache_info().currsize,
}))
"""

# The port built before TextBlob is imported in full, then both score the same texts.
PORT_THEN_TEXTBLOB = """
import json
from feedback.sentiment import TextBlobScorer
scorer = TextBlobScorer()
from textblob import TextBlob
texts = ["This is the worst service ever, I am furious", "Great, thanks!", "not bad :)", "I can't say it's good"]
print(json.dumps([[tuple(scorer.score(t).__dict__.values()), tuple(TextBlob(t).sentiment)] for t in texts]))
"""


def _run(code: str) -> object:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR))
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("CXBOT_TELEGRAM_BOT_TOKEN", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_up_without_telegram_loads_no_nltk_textblob_package_telegram_or_dummy_hash():
    assert _run(STARTUP) == {"modules": [], "dummy_hashes": 0}


def test_the_port_built_before_textblob_scores_as_textblob():
    for ours, textblob in _run(PORT_THEN_TEXTBLOB):
        assert ours == textblob


def test_an_unknown_name_is_verified_against_the_dummy_hash(monkeypatch):
    verified = []

    class Recording(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 - argon2's parameter name
            verified.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "_hasher", Recording())
    monkeypatch.setattr(auth, "find_user", lambda session, username: None)
    assert auth.authenticate(None, "nobody", "not a password of anyone") is None
    assert verified == [auth._dummy_hash()]
    assert verified[0].startswith("$argon2")
