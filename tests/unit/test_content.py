"""The content folder is read and checked once at start-up; a mistake names its file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app.content import ContentError, load_content
from bot.assistant.actions.support import context as actions

PROJECT_CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the project's content folder to break."""
    return Path(shutil.copytree(PROJECT_CONTENT, tmp_path / "content"))


def test_the_project_content_loads(content_dir):
    content = load_content(content_dir)
    assert "refund_timing" in content.topics.titles
    assert content.desk.say("cancelled") and content.desk.canned
    assert content.escalation.messages["holding"]
    assert content.sentiment.score("my parcel never arrived").polarity < 0


@pytest.mark.parametrize(
    "name",
    [
        "topics.yml",
        "recovery.yml",
        "compensation.yml",
        "surveys.yml",
        "escalation.yml",
        "desk.yml",
        "canned_replies.yml",
        "sentiment_lexicon.yml",
        "sentiment_lexicon_fa.yml",
    ],
)
def test_broken_yaml_stops_the_start_naming_the_file(content_dir, name):
    (content_dir / name).write_text("messages: [unclosed\n  - : :\n", encoding="utf-8")
    with pytest.raises(ContentError, match=rf"{name}: not valid YAML"):
        load_content(content_dir)


def test_a_wrong_value_names_the_file_once(content_dir):
    path = content_dir / "escalation.yml"
    path.write_text(
        path.read_text(encoding="utf-8") + '\nbusiness_hours:\n  mon: ["18:00", "09:00"]\n', encoding="utf-8"
    )
    with pytest.raises(ContentError) as refused:
        load_content(content_dir)
    assert str(refused.value) == f"{path}: business_hours.mon closes before it opens"


@pytest.mark.parametrize("name", ["topics.yml", "surveys.yml", "sentiment_lexicon.yml", "sentiment_lexicon_fa.yml"])
def test_a_missing_file_is_named(content_dir, name):
    (content_dir / name).unlink()
    with pytest.raises(ContentError, match=rf"{name}: the file is missing"):
        load_content(content_dir)


def test_canned_replies_follow_the_customers_language(content_dir):
    content = load_content(content_dir)
    english, persian = content.desk, content.in_language("fa").desk
    assert len(persian.canned) == len(english.canned) and persian.canned != english.canned
    assert english.in_language("fa").canned == persian.canned and english.in_language("en").canned == english.canned
    assert all("\u0600" <= reply.text[0] <= "\u06ff" for reply in persian.canned)


def test_the_desk_files_are_optional(content_dir):
    (content_dir / "desk.yml").unlink()
    (content_dir / "canned_replies.yml").unlink()
    content = load_content(content_dir)
    assert content.desk.canned == ()
    assert content.desk.say("queue_first") == "You're next in line."


def test_actions_without_an_installed_context_say_what_is_missing():
    actions.install(None)
    with pytest.raises(RuntimeError, match="no action context installed"):
        actions.context()
