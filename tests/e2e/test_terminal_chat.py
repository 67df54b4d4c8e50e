"""`cxbot chat` end to end: the terminal channel on the trained model, typed input, stored messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, Customer, Message, SurveyResponse


def chat(data_dir: Path, sender: str, typed: str, **env_overrides: str) -> tuple[str, Session]:
    """Type `typed` into `cxbot chat` as `sender`; its output and a session on its database."""
    env = {
        **os.environ,
        "CXBOT_DATA_DIR": str(data_dir),
        "CXBOT_DATABASE_URL": f"sqlite:///{data_dir / 'cxbot.db'}",
        "CXBOT_TRACKER_DATABASE_URL": f"sqlite:///{data_dir / 'tracker.db'}",
        **env_overrides,
    }
    cxbot = Path(sys.executable).with_name("cxbot")
    result = subprocess.run(
        [str(cxbot), "chat", "--sender", sender],
        input=typed,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, Session(create_engine(env["CXBOT_DATABASE_URL"], future=True))


def test_terminal_chat_answers_and_taps_buttons_by_number(model_path, tmp_path):
    typed = "hello\n1\n\nwhere is my order\nexit\n"  # 1 taps the first help button; empty line is refused
    out, database = chat(tmp_path, "tester", typed, CXBOT_SHOP_NAME="Terminal Test Shop")
    assert "Terminal Test Shop" in out
    assert "[1] Where is my order?" in out
    assert "Sorry, I can't read that: 'message' is empty." in out
    assert out.count("Did that answer your question?") == 2

    with database as session:
        customer = session.execute(select(Customer)).scalar_one()
        texts = (
            session.execute(select(Message.text).where(Message.direction == "customer").order_by(Message.id))
            .scalars()
            .all()
        )
    assert (customer.channel, customer.external_id) == ("cli", "tester")
    assert texts == ["hello", '/choose_topic{"topic":"order_status"}', "where is my order"]


def test_terminal_chat_runs_a_complaint_to_a_coupon_and_surveys(model_path, tmp_path):
    # Numbers tap buttons: "1" accepts the offer, then "1" is "Very easy"; the NPS is typed in words.
    typed = "my order is late\n4829173\nit should have come on monday\n1\n1\nnine\nskip\nexit\n"
    out, database = chat(tmp_path, "grumbler", typed)
    assert "the late delivery" in out
    assert "Your code is CX-" in out
    assert "How easy was it for you" in out and "how likely are you to recommend us" in out
    with database as session:
        [coupon] = session.execute(select(Compensation)).scalars().all()
        answers = {s.kind: (s.status, s.score) for s in session.execute(select(SurveyResponse)).scalars()}
    assert coupon.kind == "free_delivery" and coupon.code in out
    assert answers == {"ces": ("answered", 2), "nps": ("answered", 9)}


def test_terminal_chat_in_persian(model_path, tmp_path):
    """Persian typed in a Persian terminal: answered in Persian; a Persian digit taps a button."""
    out, database = chat(tmp_path, "persian", "/greet\n۱\nexit\n", LANG="fa_IR.UTF-8", PYTHONIOENCODING="utf-8")
    assert "bot> سلام! من دستیار" in out
    assert "[1] سفارش من کجاست؟" in out
    assert "bot> می‌توانید سفارشتان را در بخش «سفارش‌های من»" in out  # the first button: order status
    assert "bot> آیا این پاسخ به سؤال شما کمک کرد؟" in out
    with database:
        assert database.execute(select(Customer.locale)).scalar_one() == "fa"
