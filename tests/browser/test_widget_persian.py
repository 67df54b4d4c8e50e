"""End to end: the widget in Persian, right to left, in real headless Chromium against the real server.

The Persian sample page (`/fa`, `<html lang="fa" dir="rtl">`) switches the widget by the page's
language; `data-lang` on the script tag switches it on any page. The English widget stays as it was,
also on a right-to-left page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import bubble, new_page
from tests.support.e2e_server import started_server

OPEN_FA = re.compile("^باز کردن گفتگو")
TITLE = "پشتیبانی فروشگاه نورث‌ویند"
GREETING = "سلام! من دستیار فروشگاه نورث‌ویند هستم. دربارهٔ ارسال، مرجوعی یا سفارشتان از من بپرسید."
QUESTION = "سلام، سفارش من کجاست؟"


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("widget-fa")) as running:
        yield running


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield new_page(context)
    context.close()


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


def direction(locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).direction")


def serve_page(page: Page, server, path: str, html: str) -> str:
    """A page of the server's own origin with the given HTML (a shop's page embedding the widget)."""
    url = server.url + path
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    return url


def test_the_persian_page_gets_a_right_to_left_persian_widget(page, server, tmp_path):
    sent: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    page.goto(server.url + "/fa")
    launcher = page.get_by_role("button", name=OPEN_FA)
    assert box(launcher)["x"] < 1100 / 2  # the launcher in the left corner, mirrored
    launcher.click()
    panel = page.get_by_role("dialog", name=TITLE)
    expect(panel).to_be_visible()
    assert direction(page.locator(".cx")) == "rtl" and direction(panel) == "rtl"
    assert page.locator(".cx").evaluate("node => getComputedStyle(node).fontFamily").startswith("Vazirmatn")

    # Persian strings of the widget's own, shown as text (never as escaped entities).
    box_input = page.get_by_label("پیام شما")
    send = page.get_by_role("button", name="فرستادن پیام")
    expect(box_input).to_have_attribute("placeholder", "پیامتان را بنویسید…")
    assert direction(box_input) == "rtl"  # the empty box, placeholder shown
    expect(send).to_have_text("ارسال")
    expect(page.locator("#cx-title")).to_have_text(TITLE)
    expect(page.locator(".greeting .bubble")).to_have_text(GREETING)
    assert "&" not in page.locator(".cx").inner_text()
    # Mirrored: the input on the right of the send button, the title on the right of the close button.
    assert box(box_input)["x"] > box(send)["x"]
    assert box(page.locator("#cx-title"))["x"] > box(page.get_by_role("button", name="بستن گفتگو"))["x"]

    box_input.fill(QUESTION)
    box_input.press("Enter")
    question = bubble(page, "customer", QUESTION)
    expect(question).to_be_visible()
    expect(page.locator(".typing")).to_be_hidden()
    assert direction(question) == "rtl"
    # The customer's own bubbles on the other side from the assistant's (the left, right to left).
    greeting = page.locator(".greeting .bubble")
    assert box(question)["x"] < box(greeting)["x"]
    assert box(question)["x"] + box(question)["width"] < box(greeting)["x"] + box(greeting)["width"]
    messages = [frame for frame in sent if frame.get("type") == "message"]
    assert [frame["metadata"] for frame in messages] == [{"language_hint": "fa"}]
    shot = Path(tmp_path) / "widget-fa.png"
    page.screenshot(path=str(shot))
    print(f"screenshot of the Persian widget: {shot}")
    assert shot.stat().st_size > 0


def test_data_lang_switches_an_english_page_and_english_stays_left_to_right(page, server):
    url = serve_page(
        page,
        server,
        "/shop-en-page-with-persian-widget",
        '<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body><h1>Shop</h1>'
        '<script src="/widget.js" data-lang="fa"></script></body></html>',
    )
    page.goto(url)
    page.get_by_role("button", name=OPEN_FA).click()
    assert direction(page.locator(".cx")) == "rtl"
    expect(page.locator("#cx-title")).to_have_text("گفتگو با ما")

    page.unroute("**/*")
    url = serve_page(
        page,
        server,
        "/shop-fa-page-with-english-widget",
        '<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"></head><body><h1>فروشگاه</h1>'
        '<script src="/widget.js" data-lang="en" data-title="Help"></script></body></html>',
    )
    page.goto(url)
    launcher = page.get_by_role("button", name=re.compile("^Open chat"))
    assert box(launcher)["x"] > 1100 / 2
    launcher.click()
    assert direction(page.locator(".cx")) == "ltr"
    assert box(page.get_by_label("Your message"))["x"] < box(page.get_by_role("button", name="Send message"))["x"]


def test_the_english_sample_page_is_unchanged(page, server):
    sent: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    page.goto(server.url + "/")
    launcher = page.get_by_role("button", name="Open chat: Northwind Shop support")
    assert box(launcher)["x"] > 1100 / 2
    launcher.click()
    assert direction(page.locator(".cx")) == "ltr"
    box_input = page.get_by_label("Your message")
    expect(box_input).to_have_attribute("placeholder", "Type a message…")
    assert direction(box_input) == "ltr"
    expect(page.get_by_role("button", name="Send message")).to_have_text("Send")
    assert box(box_input)["x"] < box(page.get_by_role("button", name="Send message"))["x"]
    box_input.fill("hello")
    box_input.press("Enter")
    expect(bubble(page, "customer", "hello")).to_be_visible()
    expect(page.locator(".typing")).to_be_hidden()
    assert [f["metadata"] for f in sent if f.get("type") == "message"] == [{"language_hint": "en"}]


def test_the_servers_errors_are_said_in_persian(page, server):
    def refuse_everything(ws) -> None:
        def answer(message) -> None:
            frame = json.loads(message)
            error = {"type": "error", "code": "too_large", "message": "too long", "reply_to": frame["id"]}
            ws.send(json.dumps({**error, "retry": False}))

        ws.on_message(answer)

    page.route_web_socket(re.compile(r"/widget/ws"), refuse_everything)
    page.goto(server.url + "/fa")
    page.get_by_role("button", name=OPEN_FA).click()
    box_input = page.get_by_label("پیام شما")
    box_input.fill("سلام")
    box_input.press("Enter")
    expect(page.locator(".notice")).to_have_text("متأسفیم، این پیام فرستاده نشد: پیام خیلی طولانی است")
    expect(page.locator(".msg.customer.failed")).to_have_attribute("aria-label", "فرستاده نشد")
