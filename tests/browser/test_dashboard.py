"""The dashboard in real headless Chromium: a manager opens it, the charts render, a bar leads to
the conversations behind it; a screenshot is kept (tmp_path/dashboard.png).

Until the staff console mounts the dashboard behind its login, a stand-in guard reads the role
from a cookie the test sets (the "login"); the routes and pages are the real ones.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import threading
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import expect

from bot.app.http_errors import json_errors
from bot.app.settings import get_settings
from bot.dashboard import routes as dashboard
from bot.storage.database import get_session_factory, migrate
from tests.support.content import project_content
from tests.support.dashboard_data import add_fixed_data
from tests.support.dashboard_guard import stand_in_guard
from tests.support.e2e_server import free_port

ROLE_COOKIE = "cxbot_test_role"
cookie_guard = stand_in_guard(lambda request: request.cookies.get(ROLE_COOKIE))


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The dashboard routes on a real port, served from a thread with its own event loop."""
    url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    monkeypatch.setenv("CXBOT_DATABASE_URL", url)
    get_settings.cache_clear()
    migrate(url)
    with get_session_factory(url).begin() as session:
        add_fixed_data(session)
    app = web.Application(middlewares=[json_errors])
    journey = project_content().journey
    dashboard.add_routes(app, cookie_guard, get_session_factory(url), currency="EUR", journey=journey)
    port = free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    # Set up on the server's own loop: this thread's is Playwright's (the module's browser runs on it).
    runner = web.AppRunner(app)
    asyncio.run_coroutine_threadsafe(runner.setup(), loop).result(timeout=30)
    asyncio.run_coroutine_threadsafe(web.TCPSite(runner, "127.0.0.1", port).start(), loop).result(timeout=30)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    get_settings.cache_clear()


def test_a_manager_sees_the_charts_and_drills_down(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        page = context.new_page()
        refused = page.goto(f"{server}/dashboard?since=2026-11-02&until=2026-11-09")
        assert refused.status == 403  # not logged in

        context.add_cookies([{"name": ROLE_COOKIE, "value": "manager", "url": server}])
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        response = page.goto(f"{server}/dashboard?since=2026-11-02&until=2026-11-09")
        assert response.status == 200
        expect(page.locator("h1")).to_have_text("Customer experience dashboard")
        charts = page.locator("svg.chart")
        assert charts.count() >= 15
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 50
        expect(page.locator("svg.chart-line circle.point").first).to_be_visible()
        assert page.locator("svg.chart rect.bar").count() > 20
        assert all(url.startswith(server) for url in requests)  # nothing from a CDN
        assert page.evaluate("() => document.scripts.length") == 0
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        assert (tmp_path / "dashboard.png").stat().st_size > 20_000

        # The first escalation bar (customer request, still open) leads to its one conversation.
        page.locator("#escalations svg a").first.click()
        page.wait_for_url("**/dashboard/conversations?**")
        expect(page.locator("table tbody tr")).to_have_count(1)
        page.locator("table tbody a").first.click()
        expect(page.locator("h1")).to_contain_text("Conversation fixed-")

        page.goto(f"{server}/dashboard?since=2026-11-02&until=2026-11-09")
        page.select_option("select[name=channel]", "telegram")
        page.click("form.filters button")
        page.wait_for_url("**channel=telegram**")
        expect(page.locator("#summary")).to_contain_text("(promoters 1, passives 1, detractors 1)")
    finally:
        context.close()


def test_a_manager_reads_the_journey_map_and_drills_into_a_stage(server, browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        context.add_cookies([{"name": ROLE_COOKIE, "value": "manager", "url": server}])
        page = context.new_page()
        page.goto(f"{server}/dashboard?since=2026-11-02&until=2026-11-09")
        journey = page.locator("#journey")
        expect(journey).to_be_visible()
        stages = journey.locator(".heatmap tbody tr")
        expect(stages).to_have_count(len(project_content().journey.stages))
        box = journey.locator(".heatmap").bounding_box()
        assert box and box["width"] > 300
        page.locator('nav[aria-label="Sections"] a[href="#journey"]').click()
        linked = journey.locator(".heatmap tbody a")
        assert linked.count() >= 1
        linked.first.click()
        page.wait_for_url("**drill=journey**")
        assert page.locator("table tbody tr").count() >= 1
    finally:
        context.close()


SCREENSHOT = Path(tempfile.gettempdir()) / "cxbot-dashboard.png"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\d{2}:\d{2}:\d{2}|\+00:00")
LONG_FLOAT = re.compile(r"\d\.\d{3,}")


def test_a_manager_reads_the_cards_and_their_trend(server, browser):
    """Seven cards, each with its change against the week before, coloured by whether it is good;
    dates, money and sentiment in words; nothing that reads like Python."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.add_cookies([{"name": ROLE_COOKIE, "value": "manager", "url": server}])
    try:
        page = context.new_page()
        page.goto(f"{server}/dashboard?since=2026-11-02&until=2026-11-09")
        cards = page.locator("#headline .card")
        expect(cards).to_have_count(7)
        names = [name.strip().lower() for name in cards.locator("h3").all_inner_texts()]
        assert names == ["nps", "csat", "ces", "sentiment", "escalations", "compensation cost", "conversations"]
        nps = page.locator("#card-nps")
        expect(nps.locator(".value")).to_have_text("+0")
        expect(nps.locator(".change")).to_contain_text("▼")
        expect(nps.locator(".change")).to_contain_text("-50 (worse) · was +50")
        expect(nps.locator(".change.bad")).to_have_attribute("title", re.compile(r"^26 Oct - 1 Nov 2026: \+50"))
        expect(page.locator("#card-escalations .change.good")).to_contain_text("▼ -1 (better) · was 4")
        expect(page.locator("#card-sentiment .value")).to_have_text("-0.12 (negative)")
        expect(page.locator("#card-sentiment .change.good")).to_contain_text("(better) · was -0.37 (negative)")
        expect(page.locator("#card-compensation .value")).to_have_text("29.95 EUR")
        expect(page.locator("#card-compensation .change.bad")).to_contain_text("+25.00 EUR (worse) · was 4.95 EUR")
        expect(page.locator("#card-conversations .change.neutral")).to_contain_text("▲ +6 · was 3")
        # The colour says good or bad, not the direction.
        good = page.locator("#card-escalations .change").evaluate("e => getComputedStyle(e).color")
        bad = page.locator("#card-nps .change").evaluate("e => getComputedStyle(e).color")
        assert good != bad

        expect(page.locator("header .meta")).to_contain_text("2-8 Nov 2026, all channels")
        expect(page.locator("#headline")).to_contain_text("Compared with 26 Oct - 1 Nov 2026")
        expect(page.locator("#summary")).to_contain_text("very easy 1, easy 1, neutral 1, difficult 1")
        expect(page.locator("#compensation")).to_contain_text("25.00 EUR")
        text = page.inner_text("body")
        html = page.content()
        for repr_mark in ("{'", "': ", "'}"):
            assert repr_mark not in text and repr_mark not in html, repr_mark
        assert not ISO_DATE.search(text), ISO_DATE.search(text)
        assert not LONG_FLOAT.search(text), LONG_FLOAT.search(text)
        assert "in money" not in text.replace("EUR in money", "")  # money always with its currency

        # Distributions are labelled bars, each chart with its numbers as a table.
        expect(page.locator("svg.chart-hbar", has_text="promoters (9-10)")).to_contain_text("2 (40%)")
        assert page.locator("#distributions svg text.value").count() >= 3
        assert page.locator("figure.panel").count() == page.locator("figure.panel details.numbers").count() + 1
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        # The filter bar stays in view while the manager scrolls.
        page.locator("#fallbacks").scroll_into_view_if_needed()
        box = page.locator(".filterbar").bounding_box()
        assert box is not None and 0 <= box["y"] <= 1
        page.emulate_media(media="print")
        assert not page.locator(".filterbar").is_visible()  # printing shows the page without the controls
        expect(page.locator("#card-nps .change")).to_be_visible()
        print(f"dashboard screenshot: {SCREENSHOT}")
    finally:
        context.close()
