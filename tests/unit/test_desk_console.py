"""The staff console and the desk service in-process, with a scripted assistant and a recording
push channel: access control, CSRF, login limits, escaping, and the whole handoff round trip."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.http_errors import MIDDLEWARES
from bot.app.server import build_services
from bot.app.settings import get_settings
from bot.channels.base import ChannelRegistry
from bot.conversation import store
from bot.conversation.events import EventBus
from bot.conversation.messages import Button, InboundMessage, OutboundMessage
from bot.conversation.ports import AssistantReply
from bot.dashboard import routes as dashboard
from bot.desk import auth, posts
from bot.desk.console import routes as console
from bot.handoff.rules import next_opening
from bot.handoff.transitions import escalate
from bot.storage.models import (
    Compensation,
    Conversation,
    HandoffRequest,
    Message,
    RecoveryCase,
    SurveyResponse,
    utcnow,
)
from feedback.sentiment import TextBlobScorer
from tests.support.content import handoff_wording, project_content
from tests.support.factories import add_complaint_case

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)><script>window.__xss=1</script>"


class DeskAssistant:
    """Answers with an echo; "/handoff_resolved" gets the CES question and records a survey offer
    credited to the metadata's handled_by, as the real bot's action does; reads "never mind" as
    the cancel intent."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.calls: list[str] = []

    async def parse(self, text):
        return ("cancel", 0.95) if "never mind" in text.lower() else ("faq", 0.9)

    async def respond(self, conversation_id, text, *, channel, metadata):
        self.calls.append(text)
        if text == "/handoff_resolved":
            with self.sessions.begin() as session:
                conversation = session.execute(
                    select(Conversation).where(Conversation.public_id == conversation_id)
                ).scalar_one()
                session.add(
                    SurveyResponse(
                        conversation_id=conversation.id,
                        customer_id=conversation.customer_id,
                        kind="ces",
                        status="offered",
                        handled_by=metadata.get("handled_by", "bot"),
                    )
                )
            return AssistantReply(messages=[OutboundMessage(text="How easy was it to get your issue solved?")])
        return AssistantReply(messages=[OutboundMessage(text=f"echo: {text}")], intent="faq/x", confidence=0.9)


class RecordingChannel:
    name = "widget"

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutboundMessage]] = []

    async def deliver(self, sender_id, messages):
        self.sent.extend((sender_id, m) for m in messages)

    def texts(self, sender_id: str) -> list[str]:
        return [m.text for s, m in self.sent if s == sender_id]


@pytest.fixture
async def desk_app(session_factory, database_url, tmp_path):
    settings = replace(get_settings(), data_dir=tmp_path, secret_key="test-secret")
    app = web.Application(middlewares=MIDDLEWARES)  # as the server's
    channels = ChannelRegistry()
    channel = RecordingChannel()
    channels.register(channel)
    assistant = DeskAssistant(session_factory)
    router, desk = build_services(
        settings, project_content(), assistant, channels=channels, events=EventBus(), scorer=TextBlobScorer()
    )
    console.add_routes(app, settings, session_factory, desk=lambda: desk)
    dashboard.add_routes(app, console.guard, session_factory, currency="EUR")  # as bot/app/server.py mounts it
    with session_factory.begin() as session:
        for username, name, role in (
            ("ana", "Ana", "agent"),
            ("ben", "Ben", "agent"),
            ("mia", "Mia", "manager"),
            ("root", "Ria", "admin"),
        ):
            auth.add_user(session, username=username, display_name=name, password=PASSWORD, role=role)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.channel = channel
    client.router = router
    client.assistant = assistant
    client.desk = desk
    yield client
    await client.close()


async def login(client, username: str, password: str = PASSWORD):
    page = await client.get("/desk/login")
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    response = await client.post(
        "/desk/login",
        data={"csrf_token": login_token, "username": username, "password": password},
        headers={"Cookie": f"{console.LOGIN_COOKIE}={login_token}"},
        allow_redirects=False,
    )
    return response


class Browser:
    """One signed-in staff member: the session cookie (Secure, so sent by hand over http) and CSRF."""

    def __init__(self, client, token: str, csrf: str) -> None:
        self.client, self.token, self.csrf = client, token, csrf

    def _cookie(self):
        return {"Cookie": f"{console.SESSION_COOKIE}={self.token}", "Accept": "text/html"}

    async def get(self, path: str):
        return await self.client.get(path, headers=self._cookie(), allow_redirects=False)

    async def post(self, path: str, data: dict | None = None, *, csrf: str | None = "auto"):
        data = dict(data or {})
        if csrf == "auto":
            data["csrf_token"] = self.csrf
        elif csrf is not None:
            data["csrf_token"] = csrf
        return await self.client.post(path, data=data, headers=self._cookie(), allow_redirects=False)


async def signed_in(client, username: str) -> Browser:
    response = await login(client, username)
    assert response.status == 303, await response.text()
    token = response.cookies[console.SESSION_COOKIE].value
    page = await client.get("/desk", headers={"Cookie": f"{console.SESSION_COOKIE}={token}"})
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', await page.text()).group(1)
    return Browser(client, token, csrf)


async def customer_waiting(client, sender: str = "visitor-1", text: str = "my parcel is lost") -> tuple[int, int]:
    await client.router.handle(InboundMessage(channel="widget", sender_id=sender, text=text, message_id=f"{sender}-1"))
    with client.router._sessions.begin() as session:
        conversation = session.execute(select(Conversation).order_by(Conversation.id.desc())).scalars().first()
        escalate(session, conversation, reason="customer_request", **handoff_wording())
        handoff = session.execute(
            select(HandoffRequest).where(HandoffRequest.conversation_id == conversation.id)
        ).scalar_one()
        return conversation.id, handoff.id


def add_pending_compensation(session, conversation: Conversation, code: str, key: str, **terms) -> Compensation:
    """A high-severity compensation in euros that waits for a manager's decision."""
    comp = Compensation(
        code=code,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        currency="EUR",
        severity="high",
        status="pending_approval",
        idempotency_key=key,
        **terms,
    )
    session.add(comp)
    session.flush()
    return comp


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)


# --- access control ---


async def test_every_console_route_refuses_anonymous_users(desk_app):
    for path, method, _handler in console.CONSOLE_ROUTES:
        response = await desk_app.request(
            method, concrete(path), headers={"Accept": "text/html"}, allow_redirects=False
        )
        if method == "GET":
            assert response.status == 303 and response.headers["Location"] == "/desk/login", path
        else:
            assert response.status == 401, path
        # Nor does a made-up session token get in.
        response = await desk_app.request(
            method, concrete(path), allow_redirects=False, headers={"Cookie": f"{console.SESSION_COOKIE}=forged"}
        )
        assert response.status == 401, path


async def test_every_console_route_refuses_the_wrong_role(desk_app):
    agent, manager = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    checked = 0
    for path, method, handler in console.CONSOLE_ROUTES:
        role = handler.required_role
        for browser, browser_role in ((agent, "agent"), (manager, "manager")):
            if auth.RANK[browser_role] >= auth.RANK[role]:
                continue
            response = await (browser.get(concrete(path)) if method == "GET" else browser.post(concrete(path)))
            assert response.status == 403, (path, browser_role)
            checked += 1
    assert checked >= 6  # users pages for both, compensation decisions for agents


async def test_state_changing_requests_without_the_csrf_token_are_refused(desk_app):
    _, handoff_id = await customer_waiting(desk_app)
    ana = await signed_in(desk_app, "ana")
    other = await signed_in(desk_app, "ben")
    for csrf in (None, "", "0" * 64, other.csrf):  # missing, empty, made up, another session's
        response = await ana.post(f"/desk/handoffs/{handoff_id}/claim", csrf=csrf)
        assert response.status == 403
    with desk_app.router._sessions() as session:
        assert session.get(HandoffRequest, handoff_id).status == "open"
    # The header works as well as the form field (for scripts).
    response = await desk_app.post(
        f"/desk/handoffs/{handoff_id}/claim",
        allow_redirects=False,
        headers={"Cookie": f"{console.SESSION_COOKIE}={ana.token}", console.CSRF_HEADER: ana.csrf},
    )
    assert response.status == 303
    # Logging out is a POST too.
    assert (await ana.post("/desk/logout", csrf=None)).status == 403


async def test_the_manager_dashboard_is_behind_the_console_login(desk_app):
    anonymous = await desk_app.get("/dashboard", headers={"Accept": "text/html"}, allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/desk/login"
    export = await desk_app.get("/dashboard/export/surveys.csv", allow_redirects=False)
    assert export.status == 401
    agent, manager, admin = [await signed_in(desk_app, name) for name in ("ana", "mia", "root")]
    assert (await agent.get("/dashboard")).status == 403
    assert (await agent.get("/dashboard/export/surveys.csv")).status == 403
    page = await manager.get("/dashboard")
    assert page.status == 200 and "<svg" in await page.text()
    assert (await admin.get("/dashboard/export/compensation.csv")).status == 200


async def test_login_sets_a_secure_http_only_strict_cookie_and_logout_ends_it(desk_app):
    response = await login(desk_app, "ana")
    cookie = response.cookies[console.SESSION_COOKIE]
    assert (
        cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    )  # the dashboard shares the session
    ana = await signed_in(desk_app, "ana")
    assert (await ana.get("/desk")).status == 200
    assert (await ana.post("/desk/logout")).status == 303
    assert (await ana.get("/desk")).status == 303  # back to the login page


async def test_login_without_the_form_token_is_refused(desk_app):
    response = await desk_app.post("/desk/login", data={"username": "ana", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 403
    assert console.SESSION_COOKIE not in response.cookies


async def test_failed_logins_are_limited_per_account_and_address(desk_app):
    for _ in range(5):
        assert (await login(desk_app, "ana", "wrong password!")).status == 401
    blocked = await login(desk_app, "ana")  # even the right password, for now
    assert blocked.status == 429 and "Too many failed logins" in await blocked.text()
    assert (await login(desk_app, "ben")).status == 303  # other accounts are not locked out


async def test_passwords_are_stored_as_argon2_hashes(desk_app, session_factory):
    with session_factory() as session:
        stored = auth.find_user(session, "ana").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_a_disabled_user_is_signed_out_at_once(desk_app, session_factory):
    ana = await signed_in(desk_app, "ana")
    with session_factory.begin() as session:
        auth.disable_user(session, "ana")
    assert (await ana.get("/desk")).status == 303
    assert (await login(desk_app, "ana")).status == 401


async def test_admins_add_and_disable_staff_users(desk_app, session_factory):
    root = await signed_in(desk_app, "root")
    response = await root.post(
        "/desk/users",
        {"username": "zoe", "display_name": "Zoe", "password": PASSWORD, "role": "agent", "telegram_id": "777"},
    )
    assert response.status == 303
    short = await root.post(
        "/desk/users", {"username": "tim", "display_name": "Tim", "password": "short", "role": "agent"}
    )
    assert short.status == 400 and "at least 10 characters" in await short.text()
    with session_factory() as session:
        zoe = auth.find_user(session, "zoe")
        assert zoe.telegram_user_id == 777
    assert (await root.post(f"/desk/users/{zoe.id}/disable")).status == 303
    assert (await login(desk_app, "zoe")).status == 401


# --- what staff see ---


async def test_customer_text_is_shown_as_text_in_the_queue_and_transcript(desk_app):
    conversation_id, _ = await customer_waiting(desk_app, text=XSS)
    ana = await signed_in(desk_app, "ana")
    for path in (
        "/desk",
        "/desk/queue",
        f"/desk/conversations/{conversation_id}",
        f"/desk/conversations/{conversation_id}/transcript",
    ):
        response = await ana.get(path)
        html = await response.text()
        assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in html, path
        assert "<script>window.__xss" not in html and "<img src=x" not in html, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


NPS_SIX = '/survey_answer{"survey_value":"nps:6"}'


async def test_button_taps_read_as_the_title_the_customer_saw_never_as_the_payload(desk_app, session_factory):
    conversation_id, handoff_id = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        question = OutboundMessage(
            text="How likely are you to recommend us?",
            buttons=(Button("5", '/survey_answer{"survey_value":"nps:5"}'), Button("6", NPS_SIX)),
        )
        store.write_messages(session, conversation_id, [question])
    for number, text in ((2, NPS_SIX), (3, '/choose_topic{"topic":"returns"}')):
        inbound = InboundMessage(channel="widget", sender_id="visitor-1", text=text, message_id=f"visitor-1-{number}")
        await desk_app.router.handle(inbound)
    ana = await signed_in(desk_app, "ana")
    queue = await (await ana.get("/desk/queue")).text()
    transcript = await (await ana.get(f"/desk/conversations/{conversation_id}/transcript")).text()
    assert "<li>6</li>" in queue
    assert '<span class="text" dir="auto">6</span>' in transcript
    # A payload no button on the bot's last messages explains reads in words.
    assert "choose topic: returns" in queue and "choose topic: returns" in transcript
    with session_factory() as session:
        tap = session.execute(select(Message).where(Message.text == NPS_SIX)).scalar_one()
        assert tap.button_title == "6"  # and `text` keeps the payload for analysts
        relayed = posts.relay(session, handoff_id, tap.id)
        announced = posts.summary(session, handoff_id)
    for html in (queue, transcript, relayed.text, announced):
        assert "survey_answer" not in html and not re.search(r"/\w+\{", html)
    assert relayed.text == "6" and "• 6" in announced


async def test_the_queue_shows_reason_wait_channel_sentiment_and_history(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app, text="This is terrible, I am furious")
    with session_factory.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        session.add(
            SurveyResponse(
                conversation_id=conversation_id,
                customer_id=conversation.customer_id,
                kind="nps",
                status="answered",
                score=3,
            )
        )
        add_complaint_case(session, conversation, "late_delivery", "escalated")
    ana = await signed_in(desk_app, "ana")
    html = await (await ana.get("/desk/queue")).text()
    # So unhappy that the router escalated on sentiment before anyone asked.
    assert "very negative message" in html and "widget" in html and "waiting" in html
    assert "negative" in html and "NPS 3" in html and "Complaints: 1" in html
    assert "This is terrible, I am furious" in html


# --- the round trip ---


async def test_claim_reply_customer_writes_resolve_hands_back_with_ces(desk_app, session_factory):
    conversation_id, handoff_id = await customer_waiting(desk_app)
    channel = desk_app.channel
    ana, ben = await signed_in(desk_app, "ana"), await signed_in(desk_app, "ben")

    page = await (await ana.get(f"/desk/conversations/{conversation_id}")).text()
    assert "Claim" in page and "Send" not in page  # nobody has it yet: no reply box
    assert (await ana.post(f"/desk/handoffs/{handoff_id}/claim")).status == 303
    page = await (await ana.get(f"/desk/conversations/{conversation_id}")).text()
    # Canned replies from content/canned_replies.yml, ready to drop into the reply box.
    assert 'data-canned="Hi, thanks for waiting.' in page and ">Greeting</button>" in page
    taken = await ben.post(f"/desk/handoffs/{handoff_id}/claim")
    assert taken.status == 409 and "Ana already has this conversation" in await taken.text()
    assert channel.texts("visitor-1") == ["A team member (Ana) has joined"]
    assert channel.sent[0][1].custom == {"event": "agent_joined", "name": "Ana"}

    assert (await ana.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "Hi, Ana here. Checking."})).status == 303
    assert channel.texts("visitor-1")[-1] == "Hi, Ana here. Checking."
    refused = await ben.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "me too"})
    assert refused.status == 409

    calls_before = len(desk_app.assistant.calls)
    replies = await desk_app.router.handle(
        InboundMessage(channel="widget", sender_id="visitor-1", text="It was order 123456", message_id="visitor-1-2")
    )
    assert replies == [] and len(desk_app.assistant.calls) == calls_before  # the bot stays silent
    transcript = await (await ana.get(f"/desk/conversations/{conversation_id}/transcript")).text()
    assert "It was order 123456" in transcript

    assert (
        await ana.post(f"/desk/conversations/{conversation_id}/notes", {"text": "VIP <b>customer</b>"})
    ).status == 303
    page = await (await ana.get(f"/desk/conversations/{conversation_id}")).text()
    assert "VIP &lt;b&gt;customer&lt;/b&gt;" in page
    assert "VIP" not in "".join(channel.texts("visitor-1"))  # notes never reach the customer

    assert (await ana.post(f"/desk/handoffs/{handoff_id}/resolve")).status == 303
    assert channel.texts("visitor-1")[-2:] == [
        "A team member (Ana) has left",
        "How easy was it to get your issue solved?",
    ]
    with session_factory() as session:
        assert session.get(Conversation, conversation_id).state == "bot"
        assert session.execute(select(SurveyResponse.handled_by)).scalar_one() == "ana"
        directions = [
            m.direction
            for m in session.execute(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            ).scalars()
        ]
    assert directions == ["customer", "bot", "agent", "agent", "customer", "agent", "bot"]
    # The bot answers again.
    replies = await desk_app.router.handle(InboundMessage(channel="widget", sender_id="visitor-1", text="thanks"))
    assert [r.text for r in replies] == ["echo: thanks"]


async def test_transfer_hands_the_conversation_to_a_colleague(desk_app, session_factory):
    _, handoff_id = await customer_waiting(desk_app)
    ana, ben = await signed_in(desk_app, "ana"), await signed_in(desk_app, "ben")
    await ana.post(f"/desk/handoffs/{handoff_id}/claim")
    with session_factory() as session:
        ben_id = auth.find_user(session, "ben").id
    assert (await ana.post(f"/desk/handoffs/{handoff_id}/transfer", {"to": str(ben_id)})).status == 303
    assert desk_app.channel.texts("visitor-1")[-2:] == [
        "A team member (Ana) has left",
        "A team member (Ben) has joined",
    ]
    assert (await ben.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "Ben here"})).status == 303
    assert (await ana.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "still me?"})).status == 409


async def test_never_mind_while_queued_cancels_the_request(desk_app, session_factory):
    conversation_id, handoff_id = await customer_waiting(desk_app)
    replies = await desk_app.router.handle(
        InboundMessage(channel="widget", sender_id="visitor-1", text="never mind, I found it", message_id="nm")
    )
    assert [r.text for r in replies] == [desk_app.desk.content.say("cancelled")]
    with session_factory() as session:
        assert session.get(HandoffRequest, handoff_id).status == "cancelled"
        assert session.get(Conversation, conversation_id).state == "bot"


async def test_waiting_too_long_tells_the_customer_once_and_keeps_the_case_open(desk_app, session_factory):
    conversation_id, handoff_id = await customer_waiting(desk_app)
    rules = project_content().escalation
    opening_day = next_opening(rules, utcnow())
    # Half an hour after opening on a working day: people are there, so waiting is news.
    later = (
        datetime.combine(opening_day.date(), rules.hours[opening_day.weekday()][0], tzinfo=rules.timezone)
        + timedelta(minutes=30)
    ).astimezone(timezone.utc)
    with session_factory.begin() as session:  # the request was made long ago, in business hours
        session.get(HandoffRequest, handoff_id).created_at = later - timedelta(hours=1)
    assert await desk_app.desk.time_out_waiting(later) == [handoff_id]
    assert await desk_app.desk.time_out_waiting(later) == []
    assert desk_app.channel.texts("visitor-1") == [desk_app.desk.content.say("timed_out")]
    with session_factory() as session:
        assert session.get(HandoffRequest, handoff_id).status == "timed_out"
        assert session.get(Conversation, conversation_id).state == "awaiting_human"
    ana = await signed_in(desk_app, "ana")
    assert (await ana.post(f"/desk/handoffs/{handoff_id}/claim")).status == 303


async def test_a_manager_approves_a_pending_compensation_and_the_customer_is_told(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        comp = add_pending_compensation(
            session, conversation, "CX-TESTCODE", "case-1", kind="replacement", category="damaged_item", reason="broken"
        )
        add_complaint_case(session, conversation, "damaged_item", "pending_approval", compensation_id=comp.id)
        comp_id = comp.id
    agent, manager = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    assert (await agent.post(f"/desk/compensations/{comp_id}/approve")).status == 403
    page = await (await manager.get(f"/desk/conversations/{conversation_id}")).text()
    assert "CX-TESTCODE" in page and "Approve" in page
    assert (await manager.post(f"/desk/compensations/{comp_id}/approve")).status == 303
    again = await manager.post(f"/desk/compensations/{comp_id}/decline")
    assert again.status == 409 and "already decided" in await again.text()
    with session_factory() as session:
        row = session.get(Compensation, comp_id)
        assert (row.status, row.decided_by) == ("issued", "mia") and row.decided_at is not None
        assert session.execute(select(RecoveryCase.status)).scalar_one() == "recovered"
    told = desk_app.channel.texts("visitor-1")[-1]
    assert "approved" in told and "CX-TESTCODE" in told


async def test_a_manager_declines_and_the_customer_is_told(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        comp = add_pending_compensation(
            session,
            conversation,
            "CX-DECLINED",
            "case-2",
            kind="partial_refund",
            amount_cents=5000,
            category="other",
            reason="x",
        )
        comp_id = comp.id
    manager = await signed_in(desk_app, "mia")
    assert (await manager.post(f"/desk/compensations/{comp_id}/decline")).status == 303
    with session_factory() as session:
        row = session.get(Compensation, comp_id)
        assert (row.status, row.decided_by) == ("declined", "mia")
    told = desk_app.channel.texts("visitor-1")[-1]
    assert "can't offer" in told and "CX-DECLINED" in told


async def test_a_persian_customer_hears_the_desk_in_persian_and_staff_see_the_badge(desk_app, session_factory):
    conversation_id, handoff_id = await customer_waiting(desk_app, sender="visitor-fa", text="بسته‌ام گم شده است")
    persian = project_content().in_language("fa")
    with session_factory.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        comp = add_pending_compensation(
            session, conversation, "CX-FARSI", "case-fa", kind="partial_refund", amount_cents=5000, category="other"
        )
        comp_id = comp.id
    ana, mia = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    assert re.search(r'<span class="lang"[^>]*>FA</span>', await (await ana.get("/desk")).text())
    page = await (await ana.get(f"/desk/conversations/{conversation_id}")).text()
    assert re.search(r'<span class="lang"[^>]*>FA</span>', page) and 'dir="auto"' in page
    assert (await ana.post(f"/desk/handoffs/{handoff_id}/claim")).status == 303
    # The canned replies offered are the ones in the customer's language (canned_replies.yml, fa).
    page = await (await ana.get(f"/desk/conversations/{conversation_id}")).text()
    assert persian.desk.canned != project_content().desk.canned
    assert f'data-canned="{persian.desk.canned[0].text}"' in page and "Hi, thanks for waiting." not in page
    assert (await mia.post(f"/desk/compensations/{comp_id}/decline")).status == 303
    assert desk_app.channel.texts("visitor-fa")[-2:] == [
        persian.desk.say("joined", name="Ana"),
        persian.desk.say("compensation_declined", offer="بازپرداخت بخشی از مبلغ به میزان ۵۰٫۰۰ یورو", code="CX-FARSI"),
    ]
