"""The real server killed (SIGKILL) in the middle of traffic and started again: customers who
retry their messages by `message_id` get every message stored once and answered once, in order."""

from __future__ import annotations

import signal

from bench.limits import server_env
from tests.support.e2e_server import RunningServer
from tests.support.traffic import Traffic

KILL_AFTER_ANSWERS = 50


def test_a_killed_server_leaves_no_message_unanswered_or_answered_twice(model_path, tmp_path):
    # Twenty customers from one test address at full speed: without the rate limits (issue 17).
    env = server_env(tmp_path)
    server = RunningServer(tmp_path, env)
    server.wait_until_ready()
    traffic = Traffic(server.url)
    again = None
    try:
        traffic.start()
        traffic.wait_for_answers(KILL_AFTER_ANSWERS)
        server.stop(signal.SIGKILL)
        again = RunningServer(tmp_path, env)
        traffic.url = again.url
        again.wait_until_ready()
        traffic.finish()
    finally:
        server.stop()
        if again is not None:
            again.stop()
    traffic.check(server.database_url)
