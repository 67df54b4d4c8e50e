"""`cxbot demo` through the real router and trained model: a short run fills an empty database with
surveys, compensation and escalations spread over past weeks, and refuses a database in use."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.app.demo import STAFF_REPLIES
from bot.storage.models import Compensation, Conversation, HandoffRequest, Message, SurveyResponse
from feedback.metrics import Filters, build_dashboard

CXBOT = Path(sys.executable).with_name("cxbot")


def test_a_short_demo_fills_an_empty_database_through_the_real_pipeline(model_path, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    env = {
        **os.environ,
        "CXBOT_DATABASE_URL": database_url,
        "CXBOT_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "CXBOT_LOG_LEVEL": "WARNING",
    }
    started = datetime.now(timezone.utc)
    result = subprocess.run(
        [str(CXBOT), "demo", "--conversations", "6", "--weeks", "3", "--seed", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Simulated 6 customers" in result.stdout
    assert "6/6" in result.stderr  # the progress bar

    engine = create_engine(database_url, future=True)
    with Session(engine) as session:
        conversations = session.execute(select(Conversation)).scalars().all()
        surveys = session.execute(select(SurveyResponse).where(SurveyResponse.status == "answered")).scalars().all()
        compensations = session.execute(select(Compensation)).scalars().all()
        handoffs = session.execute(select(HandoffRequest)).scalars().all()
        replies = session.execute(
            select(func.count()).select_from(Message).where(Message.direction == "bot")
        ).scalar_one()
        assert len(conversations) == 6 and replies >= 12  # the assistant answered them
        assert surveys and {s.kind for s in surveys} >= {"ces"}
        assert any(c.status in ("issued", "pending_approval") for c in compensations)
        assert any(h.reason == "customer_request" for h in handoffs)
        # The demo staff member handled escalations through the real desk: claimed, answered, handed back.
        handled = [h for h in handoffs if h.status == "resolved"]
        assert handled and all(h.claimed_at is not None for h in handled)
        agent_texts = session.execute(select(Message.text).where(Message.direction == "agent")).scalars().all()
        assert any(text in STAFF_REPLIES for text in agent_texts)
        # Moved into the past: each conversation keeps its minutes, the six spread over days.
        starts = [c.started_at for c in conversations]
        assert all(started - timedelta(weeks=3) <= at <= started - timedelta(hours=1) for at in starts)
        assert len({at.date() for at in starts}) >= 2
        for conversation in conversations:
            times = [
                m.created_at
                for m in session.execute(select(Message).where(Message.conversation_id == conversation.id)).scalars()
            ]
            assert min(times) >= conversation.started_at and max(times) - min(times) < timedelta(minutes=30)
        board = build_dashboard(session, Filters(started - timedelta(weeks=3), started + timedelta(days=1)))
        assert board.totals.compensations >= 1 and sum(board.totals.escalations_by_reason.values()) == len(handoffs)
        assert sum(p.count for p in board.scores["ces"]) == sum(s.kind == "ces" for s in surveys)

    again = subprocess.run(
        [str(CXBOT), "demo", "--conversations", "2"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode != 0 and "already has conversations" in again.stderr
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Conversation)).scalar_one() == 6
