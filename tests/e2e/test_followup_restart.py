"""Scheduled follow-ups across restarts of the real server (fake Bot API): one scheduled before a
crash is sent after it, once; one a crash left in "sending" is tried again, once; a further restart
repeats neither."""

from __future__ import annotations

import shutil
import signal
from datetime import timedelta

import yaml
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from bot.storage.followups import FollowUp
from bot.storage.models import RecoveryCase, utcnow
from tests.support.fake_telegram import TOKEN, FakeTelegram, started_on_telegram
from tests.support.followups import settled_case

QUESTION = yaml.safe_load(open("content/followup.yml", encoding="utf-8"))["messages"]["en"]["questions"]["damaged_item"]


def shop_content(tmp_path):
    """The project's content, with no quiet hours (the test must not depend on the hour it runs)
    and a quick scheduler round."""
    content = tmp_path / "content"
    shutil.copytree("content", content)
    followup = yaml.safe_load((content / "followup.yml").read_text(encoding="utf-8"))
    followup["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    followup["check_every_seconds"] = 0.2
    (content / "followup.yml").write_text(yaml.safe_dump(followup, allow_unicode=True), encoding="utf-8")
    return content


def recovered(database_url: str, sender: str, *, closed_ago: timedelta) -> int:
    """A Telegram customer whose complaint ended recovered `closed_ago`; the case id."""
    engine = create_engine(database_url, future=True)
    with Session(engine) as session, session.begin():
        case_id = settled_case(session, sender)
        session.get(RecoveryCase, case_id).closed_at = utcnow() - closed_ago
    engine.dispose()
    return case_id


def followups(database_url: str) -> dict[str, FollowUp]:
    engine = create_engine(database_url, future=True)
    with Session(engine) as session:
        rows = {str(f.customer_id): f for f in session.execute(select(FollowUp)).scalars()}
    engine.dispose()
    return rows


def questions_to(telegram: FakeTelegram, chat: int) -> int:
    return sum(1 for c in telegram.sent_to(chat) if c.params["text"] == QUESTION)


def test_a_restart_neither_loses_nor_repeats_a_scheduled_followup(model_path, telegram, tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_CONTENT_DIR": str(shop_content(tmp_path))}
    with started_on_telegram(telegram, tmp_path, env) as first:
        url = first.database_url
        # Settled an hour ago: scheduled for three days later, not sent now.
        later = recovered(url, "8801", closed_ago=timedelta(hours=1))
        telegram.wait_for(lambda: followups(url))
        first.stop(signal.SIGKILL)  # a crash
    assert questions_to(telegram, 8801) == 0
    stuck = recovered(url, "8802", closed_ago=timedelta(days=3, hours=2))
    engine = create_engine(url, future=True)
    with Session(engine) as session, session.begin():
        # Three days pass; and a crash had left another follow-up claimed but never written.
        session.execute(update(FollowUp).where(FollowUp.case_id == later).values(due_at=utcnow()))
        customer = session.get(RecoveryCase, stuck).customer_id
        an_hour_ago = utcnow() - timedelta(hours=1)
        session.add(
            FollowUp(case_id=stuck, customer_id=customer, channel="telegram", status="sending",
                     due_at=an_hour_ago, claimed_at=an_hour_ago)
        )  # fmt: skip
    engine.dispose()
    with started_on_telegram(telegram, tmp_path, env):
        telegram.wait_for(lambda: questions_to(telegram, 8801) and questions_to(telegram, 8802))
    with started_on_telegram(telegram, tmp_path, env):
        # A new case sent after this restart shows the scheduler has gone round since.
        recovered(url, "8803", closed_ago=timedelta(days=3, hours=1))
        telegram.wait_for(lambda: questions_to(telegram, 8803))
    assert (questions_to(telegram, 8801), questions_to(telegram, 8802), questions_to(telegram, 8803)) == (1, 1, 1)
    rows = sorted(followups(url).values(), key=lambda f: f.id)
    assert [f.status for f in rows] == ["sent", "sent", "sent"]
    assert [f.reclaimed_at is not None for f in rows] == [False, True, False]
