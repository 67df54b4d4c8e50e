"""The bot token never reaches the log, at any level, while polling and when a send fails."""

from __future__ import annotations

import pytest

from tests.support.fake_telegram import TOKEN, FakeTelegram, started_on_telegram, text_update

BAD_REQUEST = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


def test_a_polling_session_and_a_failing_send_log_no_token(model_path, fake, tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_LOG_LEVEL": "DEBUG"}
    with started_on_telegram(fake, tmp_path, env) as running:
        fake.inject(text_update(fake.next_update_id(), 8801, 1, "how long does delivery take?"))
        fake.wait_for(lambda: len(fake.sent_to(8801)) >= 2)
        fake.fail_next("sendMessage", 400, BAD_REQUEST)
        fake.inject(text_update(fake.next_update_id(), 8802, 1, "do you sell gift cards"))
        fake.wait_for(lambda: [c for c in fake.calls_to("sendMessage", ok_only=False) if c.status == 400])
        fake.inject(text_update(fake.next_update_id(), 8803, 1, "hello"))
        fake.wait_for(lambda: fake.sent_to(8803))
        assert running.stop() == 0
    log = running.log_path.read_text(errors="replace")
    assert len(fake.calls_to("getUpdates")) >= 3
    assert "DEBUG" in log and "getUpdates" in log  # the capture held the polling at every level
    assert "update" in log and "failed" in log  # and the failed send
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
