"""Follow-ups in the staff desk (listed, cancelled) and over the fake Bot API (written first, tapped)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from telegram import Update

from bot.app.settings import load_settings
from bot.channels.base import ChannelRegistry
from bot.channels.telegram import channel as telegram_channel
from bot.followup.report import followup_figures
from bot.followup.scheduler import FollowUpScheduler
from bot.storage.followups import FollowUp
from tests.support.content import project_content
from tests.support.fake_telegram import TOKEN, FakeTelegram, callback_update
from tests.support.followups import (
    SETTLED,
    Clock,
    Pushes,
    days,
    followup_router,
    scheduler,
    settled_case,
    telegram_text,
)
from tests.support.routing import ScriptedAssistant
from tests.unit.test_desk_console import desk_app, signed_in  # noqa: F401 (desk_app is a fixture)

WORDING = project_content().followup.wording["en"]


async def test_staff_see_followups_and_cancel_one_not_sent_yet(desk_app, session_factory):  # noqa: F811
    with session_factory.begin() as session:
        settled_case(session, "70")
        settled_case(session, "71", category="billing_error")
    pushes = Pushes()
    # Day 3: the replacement's follow-up goes; the refund's waits until day 7.
    assert await scheduler(session_factory, Clock(SETTLED + days(3)), pushes).tick() == 1
    ana = await signed_in(desk_app, "ana")
    listing = await (await ana.get("/desk/followups")).text()
    assert listing.count("data-followup=") == 2 and "billing_error" in listing and "1 sent" in listing
    with session_factory() as session:
        waiting = session.execute(select(FollowUp).where(FollowUp.status == "scheduled")).scalar_one()
        sent = session.execute(select(FollowUp).where(FollowUp.status == "sent")).scalar_one()
    assert (await ana.post(f"/desk/followups/{waiting.id}/cancel")).status == 303
    assert (await ana.post(f"/desk/followups/{sent.id}/cancel")).status == 404  # sent already
    assert await scheduler(session_factory, Clock(SETTLED + days(7)), pushes).tick() == 0
    with session_factory() as session:
        cancelled = session.get(FollowUp, waiting.id)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "ana")


async def test_the_report_counts_sent_answered_not_resolved_and_csat(session_factory):
    with session_factory.begin() as session:
        for sender in ("80", "81", "82"):
            settled_case(session, sender)
    now = SETTLED + days(3)
    assert await scheduler(session_factory, Clock(now), Pushes()).tick() == 3
    router = followup_router(session_factory, ScriptedAssistant())
    await router.handle(telegram_text("80", "no", "a"))
    await router.handle(telegram_text("81", "yes", "b"))
    await router.handle(telegram_text("81", "5", "c"))
    with session_factory() as session:
        figures = followup_figures(session, since=SETTLED, until=now + days(1))
    assert (figures.sent, figures.answered, figures.not_resolved) == (3, 2, 1)
    assert figures.not_resolved_rate == 0.5 and figures.csat_mean == 5


async def test_over_telegram_the_bot_writes_first_and_the_yes_tap_is_answered(session_factory, tmp_path):
    fake = FakeTelegram().start()
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_API_URL": fake.url, "CXBOT_DATABASE_URL": "sqlite://"}
    )
    app = web.Application()
    channels = ChannelRegistry()
    channel = telegram_channel.setup(app, settings, channels)
    router = followup_router(session_factory, ScriptedAssistant())
    try:
        async with TestClient(TestServer(app)):
            await channel.run(router)
            with session_factory.begin() as session:
                settled_case(session, "4242")
            # The real channel registry, pushing to the fake Bot API.
            runner = FollowUpScheduler(
                sessions=session_factory,
                content=project_content().followup,
                deliver=channels.deliver,
                delivered=router.mark_delivered,
                clock=Clock(SETTLED + days(3)),
            )
            assert await runner.tick() == 1
            [question] = fake.sent_to(4242)
            assert question.params["text"] == WORDING.question("damaged_item")
            titles = [b["text"] for row in question.result["reply_markup"]["inline_keyboard"] for b in row]
            assert titles == [WORDING.buttons["yes"], WORDING.buttons["no"], WORDING.buttons["stop"]]
            await channel._on_update(
                Update.de_json(callback_update(1, question, WORDING.buttons["yes"], "q1"), channel.bot)
            )
            texts = [c.params["text"] for c in fake.sent_to(4242)[1:]]
            assert texts == [WORDING.replies["after_yes"], WORDING.replies["csat_question"]]
            await channel.on_shutdown(app)
    finally:
        fake.stop()
    with session_factory() as session:
        assert session.execute(select(FollowUp.answer)).scalar_one() == "yes"
