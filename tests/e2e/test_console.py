"""What a person sees running `cxbot run`: a quiet console, /health during loading, Ctrl-C."""

from __future__ import annotations

import re
import signal
import time

import pytest
import requests

from tests.support.e2e_server import READY_TIMEOUT_SECONDS, RunningServer

# Long enough for a busy machine: the point is that an answer comes, not how fast.
REQUEST_TIMEOUT_SECONDS = 10


@pytest.fixture(scope="module")
def loading(model_path, tmp_path_factory):
    """A server started at the default log level, with every /health answer seen while it loaded
    and the status of the widget page fetched while /health still said "starting"."""
    server = RunningServer(tmp_path_factory.mktemp("console"), {"CXBOT_LOG_LEVEL": "INFO"})
    answers: list[tuple[int, dict]] = []
    page_while_loading = None
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline and (not answers or answers[-1][0] != 200):
            assert server.process.poll() is None, server.log()
            try:
                # A timeout here (the event loop blocked by the loading) fails the test.
                response = requests.get(f"{server.url}/health", timeout=REQUEST_TIMEOUT_SECONDS)
            except requests.ConnectionError:
                time.sleep(0.1)  # not listening yet
                continue
            answers.append((response.status_code, response.json()))
            if response.status_code == 503 and page_while_loading is None:
                page_while_loading = requests.get(f"{server.url}/", timeout=REQUEST_TIMEOUT_SECONDS).status_code
            time.sleep(0.1)
        yield server, answers, page_while_loading
    finally:
        server.stop()


def test_health_answers_503_while_the_model_loads_and_the_widget_page_is_served(loading):
    _server, answers, page_while_loading = loading
    assert answers and answers[-1][0] == 200
    starting = [body for status, body in answers if status == 503]
    assert starting, "the server listens before the assistant is loaded: /health must say so"
    assert all(body["status"] == "starting" for body in starting)
    assert all(status in (503, 200) for status, _ in answers)
    assert page_while_loading == 200


def test_the_console_shows_what_starts_then_the_addresses_and_nothing_else(loading):
    server, _answers, _page = loading
    # The block is printed once loading has finished; wait for it without a timing assertion.
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while "Ctrl-C stops the server." not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    output = server.log()
    assert "Starting cxbot" in output and "Loading the assistant" in output
    for path in ("/", "/fa", "/desk", "/dashboard", "/health"):
        assert f"{server.url}{path}\n" in output
    assert "cxbot user add admin" in output  # no admin yet: the first-admin hint
    assert "alembic" not in output
    assert not re.search(r"\w+Warning\b", output), output
    assert "Traceback" not in output
    # Nothing logged at the default level on a normal start (the encoder's load, an empty sweep).
    assert not re.search(r" (DEBUG|INFO) ", output), output


def test_ctrl_c_stops_the_server_and_says_so(loading):
    """Runs last in this module."""
    server, _answers, _page = loading
    assert server.stop(signal.SIGINT) == 0
    assert server.log().rstrip().endswith("Stopped.")
