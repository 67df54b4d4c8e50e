"""Persian through the trained model: spellings read alike, Persian order numbers are found, and
the conversation keeps the text as the customer typed it."""

from __future__ import annotations

import asyncio

import pytest

ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


def parse(agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


def test_a_persian_order_number_is_the_order_number_entity(agent):
    parsed = parse(agent, "سفارش ۴۸۲۹۱۷۳ خراب رسید")
    assert parsed["intent"]["name"] == "complain_damaged_item"
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("order_number", "4829173")]


@pytest.mark.parametrize(
    "spellings",
    [
        [f"می{ZWNJ}خوام با یه آدم حرف بزنم", "میخوام با یه آدم حرف بزنم", "می خوام با یه آدم حرف بزنم"],
        ["سفارشم کی میرسه", "سفارشم كي ميرسه"],  # Arabic kaf and yeh
        ["سفارش ۴۸۲۹۱۷۳ هنوز نرسیده", "سفارش 4829173 هنوز نرسیده", "سفارش ٤٨٢٩١٧٣ هنوز نرسیده"],
    ],
)
def test_spelling_variants_read_the_same(agent, spellings):
    readings = {
        (p["intent"]["name"], round(p["intent"]["confidence"], 6)) for p in map(lambda t: parse(agent, t), spellings)
    }
    assert len(readings) == 1
    assert next(iter(readings))[0] not in ("nlu_fallback", "out_of_scope")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("salam", "greet"),
        ("sefaresham kojast", "faq"),
        ("mikham ba ye adam harf bezanam", "request_human"),
        ("mersi", "thanks"),
        ("khodafez", "goodbye"),
        ("mikham ba poshtibani sohbat konam", "request_human"),
    ],
)
def test_finglish_greeting_order_status_and_person(agent, text, intent):
    assert parse(agent, text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    ["اطلاعاتم را پاک کنید", "لطفا اطلاعاتم رو پاک کنید", "لطفا اطلاعات شخصی منو حذف کن", "همه اطلاعات منو پاک کنید"],
)
def test_asking_to_have_ones_data_erased_is_the_erasure_request(agent, text):
    """Queued for an admin (issue 17), not answered with the privacy FAQ."""
    assert parse(agent, text)["intent"]["name"] == "request_data_erasure"


async def test_actions_get_the_text_as_typed(model_path, session_factory, content):
    """The NLU reads the canonical spelling; the tracker (and so every action) keeps the original."""
    from bot.app.settings import get_settings
    from bot.assistant.rasa import RasaAssistant

    assistant = RasaAssistant.load(model_path, get_settings(), content)
    typed = f"می{ZWNJ}خوام با يك آدم حرف بزنم"
    await assistant.respond("typed", typed, channel="rest", metadata={})
    tracker = await assistant.agent.tracker_store.retrieve("typed")
    assert tracker.latest_message.text == typed
    assert tracker.latest_message.parse_data["text"] == typed
