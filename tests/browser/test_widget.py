"""End to end: the widget in real headless Chromium, against the real server and model.

One server and one browser for the module; every test gets a fresh browser context (its own
localStorage, so its own visitor) unless it is about a returning visitor.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.widget.identity import user_hash
from bot.storage.models import Conversation, Customer, Message
from feedback.language import script_language
from tests.support.browser import bubble, new_page, say
from tests.support.e2e_server import free_port, started_server

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"
SECRET = "test-identity-secret"
XSS = "<img src=x onerror=alert(1)><script>window.__xss=1</script>"
PERSIAN = "سلام، سفارش من کجاست؟"


def responses(name: str) -> list[str]:
    for path in DOMAIN_DIR.glob("*.yml"):
        found = (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).get(name)
        if found:
            return [r["text"] for r in found]
    raise KeyError(name)


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("widget"), {"CXBOT_WIDGET_IDENTITY_SECRET": SECRET}) as running:
        yield running


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def other_site(server, tmp_path_factory):
    """A shop's own pages on another origin (another port), embedding the widget by script tag."""
    folder = tmp_path_factory.mktemp("shop-site")
    script = f"http://127.0.0.1:{server.port}/widget.js"

    def page(name: str, attributes: str = "") -> None:
        (folder / name).write_text(
            f'<!doctype html><html><head><meta charset="utf-8"><title>{name}</title></head>'
            f"<body><h1>Another shop</h1>"
            f'<script src="{script}" data-title="Help" data-color="rebeccapurple" {attributes}></script>'
            f"</body></html>",
            encoding="utf-8",
        )

    page("plain.html")
    page("signed-in.html", f'data-user-id="cust-1001" data-user-hash="{user_hash(SECRET, "cust-1001")}"')
    page("forged.html", f'data-user-id="cust-1002" data-user-hash="{user_hash(SECRET, "cust-1001")}"')
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    return new_page(context)


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(page.get_by_role("dialog")).to_be_visible()


def visitor_sender(page: Page) -> str:
    return "visitor:" + page.evaluate("localStorage.getItem('cxbot-widget:visitor')")


def customer_texts(db: Session, sender: str) -> list[str]:
    db.expire_all()
    return (
        db.execute(
            select(Message.text)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.channel == "widget", Customer.external_id == sender, Message.direction == "customer")
            .order_by(Message.id)
        )
        .scalars()
        .all()
    )


def expect_faq_answer(page: Page) -> None:
    answer = responses("utter_faq/delivery_times")[0]
    expect(bubble(page, "bot", answer)).to_be_visible()
    expect(bubble(page, "bot", "Did that answer your question?")).to_be_visible()


def test_faq_buttons_double_tap_and_history_after_reload(page, server, db):
    open_chat(page, server.url + "/")
    # The sample shop page styles every <button> in red capitals; the Shadow DOM keeps them out.
    launcher_color = page.locator(".launcher").evaluate("b => getComputedStyle(b).color")
    assert launcher_color == "rgb(255, 255, 255)"
    say(page, "how long does delivery take?")
    expect(bubble(page, "customer", "how long does delivery take?")).to_be_visible()
    expect_faq_answer(page)
    expect(page.locator(".typing")).to_be_hidden()
    yes = page.get_by_role("button", name="Yes, thanks")
    no = page.get_by_role("button", name="No", exact=True)
    expect(yes).to_be_enabled()

    yes.dblclick()  # a double tap sends once
    expect(bubble(page, "customer", "Yes, thanks")).to_be_visible()
    expect(bubble(page, "bot", responses("utter_faq_helpful_yes")[0])).to_be_visible()
    expect(yes).to_be_disabled()
    expect(no).to_be_disabled()
    sender = visitor_sender(page)
    assert customer_texts(db, sender) == ["how long does delivery take?", "/affirm"]

    page.reload()
    page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(bubble(page, "customer", "how long does delivery take?")).to_be_visible()
    expect_faq_answer(page)
    expect(bubble(page, "customer", "Yes, thanks")).to_have_count(1)  # the title, not "/affirm"
    expect(bubble(page, "bot", responses("utter_faq_helpful_yes")[0])).to_have_count(1)
    expect(page.get_by_role("button", name="Yes, thanks")).to_be_disabled()  # already answered
    assert visitor_sender(page) == sender


def test_html_in_a_message_is_shown_as_text_and_never_runs(page, server, db):
    open_chat(page, server.url + "/")
    say(page, XSS)
    expect(bubble(page, "customer", XSS)).to_be_visible()
    expect(page.locator(".log .msg.bot").last).to_be_visible()
    expect(page.locator(".typing")).to_be_hidden()
    assert page.locator(".log img, .log script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    # After a reload the stored text comes back from history, still as text.
    page.reload()
    page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(bubble(page, "customer", XSS)).to_be_visible()
    assert page.locator(".log img, .log script").count() == 0
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert customer_texts(db, visitor_sender(page)) == [XSS]


def test_right_to_left_messages_read_right_to_left(page, server):
    open_chat(page, server.url + "/")
    say(page, PERSIAN)
    message = bubble(page, "customer", PERSIAN)
    expect(message).to_be_visible()
    assert message.evaluate("m => getComputedStyle(m).direction") == "rtl"
    expect(page.locator(".typing")).to_be_hidden()
    reply = page.locator(".log .msg.bot .bubble").last
    # A Persian customer is answered in Persian, even on the English page (issue 15).
    assert reply.evaluate("m => getComputedStyle(m).direction") == "rtl"
    assert script_language(reply.inner_text()) == "fa"


def test_keyboard_and_screen_reader_basics(page, server):
    page.goto(server.url + "/")
    launcher = page.get_by_role("button", name=re.compile("^Open chat"))
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Northwind Shop support")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Your message")).to_be_focused()
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Send message")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_staff_messages_and_join_markers_show_from_history(page, server, db):
    open_chat(page, server.url + "/")
    say(page, "I want to talk to a person")
    expect(page.locator(".typing")).to_be_hidden()
    sender = visitor_sender(page)
    # What the staff desk (a later issue) stores: a marker and a reply, as agent messages.
    conversation_id = db.execute(
        select(Conversation.id).join(Customer).where(Customer.external_id == sender)
    ).scalar_one()
    marker = json.dumps({"custom": {"event": "agent_joined", "name": "Sam <b>"}})
    db.add_all(
        [
            Message(conversation_id=conversation_id, direction="agent", text="", payload=marker, handled=True),
            Message(
                conversation_id=conversation_id, direction="agent", text="Hi, Sam here. Let me look.", handled=True
            ),
        ]
    )
    db.commit()
    page.reload()
    page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(page.locator(".log .marker")).to_have_text("Sam <b> joined the conversation")
    expect(bubble(page, "agent", "Hi, Sam here. Let me look.")).to_be_visible()


def test_works_from_another_origin_over_the_websocket(page, server, other_site, db):
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    open_chat(page, other_site + "/plain.html")
    say(page, "how long does delivery take?")
    expect_faq_answer(page)
    assert any(url.startswith(f"ws://127.0.0.1:{server.port}/widget/ws") for url in sockets)
    # data-color from the script tag is the accent.
    color = page.locator(".launcher").evaluate("b => getComputedStyle(b).backgroundColor")
    assert color == "rgb(102, 51, 153)"
    assert customer_texts(db, visitor_sender(page)) == ["how long does delivery take?"]


def test_falls_back_to_rest_when_websockets_cannot_connect(page, server, other_site, db):
    dead_port = free_port()
    # Every WebSocket this page opens goes to a port nobody listens on, like a proxy that blocks them.
    page.add_init_script(
        "(() => { const Real = window.WebSocket;"
        f" window.WebSocket = function (url, protocols) "
        f"{{ return new Real('ws://127.0.0.1:{dead_port}/', protocols); }};"
        " window.WebSocket.prototype = Real.prototype; })();"
    )
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    open_chat(page, other_site + "/plain.html")  # cross-origin: the POST needs CORS
    say(page, "how long does delivery take?")
    expect_faq_answer(page)
    page.get_by_role("button", name="Yes, thanks").click()
    expect(bubble(page, "bot", responses("utter_faq_helpful_yes")[0])).to_be_visible()
    assert posts.count(f"{server.url}/widget/messages") == 2
    assert customer_texts(db, visitor_sender(page)) == ["how long does delivery take?", "/affirm"]


def test_a_signed_in_customer_is_recognised(page, server, other_site, db):
    open_chat(page, other_site + "/signed-in.html")
    say(page, "how long does delivery take?")
    expect_faq_answer(page)
    assert customer_texts(db, "user:cust-1001") == ["how long does delivery take?"]


def test_a_forged_signature_is_refused_politely(page, server, other_site, db):
    open_chat(page, other_site + "/forged.html")
    notice = page.locator(".notice")
    expect(notice).to_contain_text("Sorry, the chat isn't available right now")
    expect(notice).to_contain_text("could not be verified")
    expect(page.get_by_label("Your message")).to_be_disabled()
    db.expire_all()
    assert db.execute(select(Customer).where(Customer.external_id == "user:cust-1002")).first() is None


def test_stopping_the_server_with_widgets_open_is_clean(page, server):
    """Runs last: open WebSockets do not hold up or break a Ctrl-C shutdown."""
    import signal

    open_chat(page, server.url + "/")
    say(page, "hello")
    expect(page.locator(".log .msg.bot").last).to_be_visible()
    expect(page.locator(".typing")).to_be_hidden()
    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.log()
