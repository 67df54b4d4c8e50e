"""The dashboard's HTTP handlers behind a stand-in guard: the page and its charts, drill-down,
transcripts, CSV downloads, bad filters, and a customer's words that must stay text."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.http_errors import json_errors
from bot.dashboard import routes as dashboard
from bot.dashboard.charts import Bar, Series, bar_chart, hbar_chart, line_chart
from feedback.exports import export_csv
from feedback.metrics import Filters, build_dashboard
from tests.support.dashboard_data import SINCE, UNTIL, XSS_QUESTION, add_fixed_data
from tests.support.dashboard_guard import stand_in_guard

SVG = "{http://www.w3.org/2000/svg}"
ROLE_HEADER = "X-Test-Role"  # stands in for the console's login in these tests only
header_guard = stand_in_guard(lambda request: request.headers.get(ROLE_HEADER))


def make_app(session_factory) -> web.Application:
    app = web.Application(middlewares=[json_errors])
    dashboard.add_routes(app, header_guard, session_factory, currency="EUR")
    return app


@pytest.fixture
async def client(session_factory):
    with session_factory.begin() as session:
        ids = add_fixed_data(session)
    async with TestClient(TestServer(make_app(session_factory))) as test_client:
        test_client.conversation_ids = ids
        yield test_client


MANAGER = {ROLE_HEADER: "manager"}
PERIOD = "since=2026-11-02&until=2026-11-09"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(match) for match in re.findall(r"<svg .*?</svg>", html, re.S)]


async def test_the_page_draws_charts_states_formulas_and_links_every_number(client):
    response = await client.get(f"/dashboard?{PERIOD}", headers=MANAGER)
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    charts = svgs(html)  # each one parses as XML: well-formed, escaped
    titles = [chart.find(f"{SVG}title").text for chart in charts]
    for title in (
        "NPS over time",
        "CES over time",
        "CSAT over time",
        "Survey response rates over time",
        "NPS answers",
        "Mean sentiment by channel",
        "Sentiment by topic",
        "Escalations by reason",
        "Compensation by category",
        "NPS by service recovery",
        "CSAT by service recovery",
        "Response rates: bot versus staff",
        "Questions the bot did not understand",
    ):
        assert title in titles
    assert all(chart.get("role") == "img" and chart.find(f"{SVG}desc").text for chart in charts)
    nps_chart = charts[titles.index("NPS over time")]
    points = nps_chart.findall(f".//{SVG}circle")
    assert len(points) == 4  # four days with NPS answers
    assert {p.find(f"{SVG}title").text for p in points} >= {"NPS, 3 Nov: +0 (n=2)", "NPS, 4 Nov: +100 (n=1)"}
    assert "CES = mean of answers scored very easy +2" in html and "time to resolve = closed_at - created_at" in html
    links = Links()
    links.feed(html)
    assert links.scripts == 0
    drills = [h for h in links.hrefs if h.startswith("/dashboard/conversations?")]
    assert len(drills) > 20
    assert all(parse_qs(urlparse(h).query)["since"] == ["2026-11-02"] for h in drills)


async def test_a_customers_question_stays_text(client):
    html = await (await client.get(f"/dashboard?{PERIOD}", headers=MANAGER)).text()
    assert XSS_QUESTION not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; do you sell gift wrapping?" in html
    svg_texts = [t for chart in svgs(html) for t in chart.itertext()]
    assert any(XSS_QUESTION in text or XSS_QUESTION[:30] in text for text in svg_texts)  # shown, as text
    filtered = await client.get(f"/dashboard?{PERIOD}&channel=%3Cscript%3Ex%3C/script%3E", headers=MANAGER)
    assert filtered.status == 200 and "<script>x" not in await filtered.text()


async def test_drill_down_lists_the_conversations_behind_a_number_and_their_messages(client):
    html = await (await client.get(f"/dashboard?{PERIOD}", headers=MANAGER)).text()
    links = Links()
    links.feed(html)
    href = next(h for h in links.hrefs if "drill=escalation%3Anps_detractor" in h)
    page = await client.get(href, headers=MANAGER)
    assert page.status == 200
    listing = await page.text()
    assert "fixed-c" in listing and "fixed-b" not in listing and "1 conversations" in listing
    transcript_links = Links()
    transcript_links.feed(listing)
    transcript = next(h for h in transcript_links.hrefs if re.fullmatch(r"/dashboard/conversations/\d+", h))
    messages = await (await client.get(transcript, headers=MANAGER)).text()
    assert "Conversation fixed-c" in messages and "message 0" in messages

    xss_group = await client.get(
        f"/dashboard/conversations?{PERIOD}&drill=" + "fallback:alert gift script sell wrapping x", headers=MANAGER
    )
    assert "fixed-f" in await xss_group.text()
    transcript_f = await (
        await client.get(f"/dashboard/conversations/{client.conversation_ids['f']}", headers=MANAGER)
    ).text()
    assert "&lt;script&gt;" in transcript_f and "<script>" not in transcript_f


async def test_csv_downloads_match_the_exports(client, session_factory):
    response = await client.get(f"/dashboard/export/compensation.csv?{PERIOD}&channel=telegram", headers=MANAGER)
    assert response.status == 200 and response.content_type == "text/csv" and response.charset == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.text()
    with session_factory() as session:
        assert body == export_csv("compensation", session, Filters(SINCE, UNTIL, "telegram"))
    assert {row["channel"] for row in csv.DictReader(io.StringIO(body))} == {"telegram"}


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/dashboard?since=yesterday", 400, "not a date"),
        ("/dashboard?to=31/10/2026", 400, "to: '31/10/2026' is not a date"),
        ("/dashboard?since=2026-11-09&until=2026-11-02", 400, "since must be before until"),
        ("/dashboard?since=2020-01-01&until=2026-01-01", 400, "at most"),
        ("/dashboard/conversations?since=2026-11-02&until=2026-11-09&drill=nonsense", 404, "no number"),
        ("/dashboard/conversations/999999", 404, "no such conversation"),
        ("/dashboard/conversations/abc", 404, "no such conversation"),
        ("/dashboard/export/passwords.csv", 404, "no export"),
    ],
)
async def test_bad_requests_get_clear_json_errors(client, path, status, message):
    response = await client.get(path, headers=MANAGER)
    assert response.status == status
    assert message in (await response.json())["error"]


async def test_the_guard_decides_who_may_see_it(client):
    for path in (
        "/dashboard",
        "/dashboard/conversations?drill=all-surveys",
        "/dashboard/export/surveys.csv",
        "/dashboard/report.pdf",
    ):
        assert (await client.get(path)).status == 403
        assert (await client.get(path, headers={ROLE_HEADER: "agent"})).status == 403
    assert (await client.get("/dashboard", headers={ROLE_HEADER: "admin"})).status == 200


async def test_the_channel_filter_reaches_the_page(client, session_factory):
    html = await (await client.get(f"/dashboard?{PERIOD}&channel=telegram", headers=MANAGER)).text()
    assert 'option value="telegram" selected' in html
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL, "telegram"))
    assert f"{board.totals.nps:+.1f} (promoters" in html


def test_charts_escape_labels_and_leave_gaps_for_missing_values():
    line = ET.fromstring(
        line_chart(
            'A <b>"title"</b>', "d & e", ["1", "2", "3", "4"], [Series("s", [1.0, None, 2.0, 3.0], ["/x?a=1&b=2"] * 4)]
        )
    )
    assert line.find(f"{SVG}title").text == 'A <b>"title"</b>' and line.find(f"{SVG}desc").text == "d & e"
    assert len(line.findall(f".//{SVG}circle")) == 3
    assert len(line.findall(f".//{SVG}polyline")) == 1  # the gap splits 1 | 2-3: one line with two points
    assert line.find(f".//{SVG}a").get("href") == "/x?a=1&b=2"
    bars = ET.fromstring(
        hbar_chart("t", "d", [Bar("<img src=x onerror=alert(1)>", 2), Bar("neg", -0.5), Bar("none", None)])
    )
    assert "<img src=x onerror=alert(1)>" in "".join(bars.itertext())
    assert bars.find(f".//{SVG}img") is None
    empty = ET.fromstring(bar_chart("t", "d", []))
    assert empty.find(f"{SVG}title").text == "t"
    nothing = ET.fromstring(line_chart("t", "d", ["a"], [Series("s", [None])]))
    assert "no data" in "".join(nothing.itertext())


async def test_the_page_downloads_as_the_pdf_report(client):
    assert (await client.get(f"/dashboard/report.pdf?{PERIOD}")).status == 403
    html = await (await client.get(f"/dashboard?{PERIOD}", headers=MANAGER)).text()
    assert f'href="/dashboard/report.pdf?{PERIOD.replace("&", "&amp;")}"' in html
    response = await client.get(f"/dashboard/report.pdf?{PERIOD}&channel=telegram", headers=MANAGER)
    assert response.status == 200 and response.content_type == "application/pdf"
    assert 'filename="cxbot-report-2026-11-02-2026-11-09.pdf"' in response.headers["Content-Disposition"]
    pdf = await response.read()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 4  # cards, two pages of charts, formulas


async def test_the_form_asks_for_the_last_day_included(client):
    html = await (await client.get("/dashboard?since=2026-11-02&to=2026-11-08", headers=MANAGER)).text()
    assert '<input type="date" name="to" value="2026-11-08">' in html
    assert '<p class="meta">2-8 Nov 2026, all channels;' in html
    assert f"/dashboard/report.pdf?{PERIOD.replace('&', '&amp;')}" in html  # links keep until, exclusive
