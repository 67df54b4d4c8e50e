"""End to end over HTTP in Persian: the real server and model answer a Persian customer in
Persian (an FAQ, a full recovery with Persian digits, surveys answered in Persian words, a request
for a person, a mixed conversation), while an English customer of the same shop stays in English.

Most messages the NLU must read are button payloads here: the Persian NLU data is written
separately (issue 15); until it is merged, nlu/fa/_e2e.yml holds the few typed Persian examples
these tests use (a greeting, a request for a person, a late delivery)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Compensation, Customer, RecoveryCase, SurveyResponse
from feedback.language import script_language
from tests.support.content import project_content
from tests.support.domain_texts import DOMAIN
from tests.support.e2e_server import started_server

SHOP = "Northwind Shop"
FA = project_content().in_language("fa")


def persian(response: str) -> set[str]:
    """The Persian variations of a domain response, with the shop's name filled in."""
    return {
        r["text"].replace("{shop_name}", SHOP)
        for r in DOMAIN.responses[response]
        if any(c.get("name") == "language" and c.get("value") == "fa" for c in r.get("condition") or ())
    }


def english(response: str) -> set[str]:
    return {r["text"].replace("{shop_name}", SHOP) for r in DOMAIN.responses[response] if not r.get("condition")}


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("e2e-persian"), {"CXBOT_SHOP_NAME": SHOP}) as running:
        yield running


def send(server, sender: str, message: str, **extra) -> list[dict]:
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": message, **extra}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies) -> list[str]:
    return [r.get("text", "") for r in replies]


def titles(reply) -> list[str]:
    return [b["title"] for b in reply.get("buttons") or ()]


def payload(replies, title: str) -> str:
    for reply in replies:
        for button in reply.get("buttons") or ():
            if button["title"] == title:
                return button["payload"]
    raise AssertionError(f"no button {title!r} in {replies}")


def test_an_faq_picked_from_persian_buttons_is_answered_in_persian(server):
    hello = send(server, "fa-faq", "/greet", metadata={"language_hint": "fa"})
    assert texts(hello)[0] in persian("utter_greet")
    assert "سفارش من کجاست؟" in titles(hello[1])
    answer = send(server, "fa-faq", payload(hello, "سفارش من کجاست؟"))
    assert texts(answer)[0] in persian("utter_faq/order_status")
    assert texts(answer)[1] in persian("utter_ask_faq_helpful") and titles(answer[1]) == ["بله، ممنون", "خیر"]


def test_a_full_recovery_with_persian_digits_and_a_survey_in_persian_words(server, db):
    sender = "fa-recovery"
    first = send(server, sender, "/complain_late_delivery", metadata={"language_hint": "fa"})
    assert "تأخیر در ارسال" in texts(first)[0]  # the apology names the category in Persian
    assert texts(first)[1] == FA.recovery.message("ask_order_number") and titles(first[1]) == ["شماره را ندارم"]
    described = send(server, sender, "شماره سفارشم ۴۸۲۹۱۷۳ است")
    assert texts(described) == list(persian("utter_ask_complaint_description"))
    offer = send(server, sender, "بسته سه هفته است نرسیده و هیچ‌کس جواب نمی‌دهد")
    # A tapped complaint has the category's base severity (low): free delivery on the next order.
    assert texts(offer)[0].endswith(FA.recovery.message("offer", offer="ارسال رایگان برای سفارش بعدی‌تان")) and titles(
        offer[0]
    ) == ["بله، لطفاً", "نه، ممنون"]
    issued = send(server, sender, payload(offer, "بله، لطفاً"), message_id="fa-tap-1")
    assert texts(issued)[0].startswith("انجام شد! کد شما CX-")
    assert texts(issued)[1] == FA.surveys.questions["ces"]
    assert titles(issued[1]) == ["خیلی آسان", "آسان", "معمولی", "سخت", "خیلی سخت", "رد کردن"]
    nps = send(server, sender, "خیلی راحت بود")  # CES typed in Persian words
    assert texts(nps) == [FA.surveys.thanks, FA.surveys.questions["nps"]]
    reason = send(server, sender, "نه از ده")  # "nine out of ten"
    assert texts(reason) == [FA.surveys.comment_question]
    assert texts(send(server, sender, "سریع و مؤدبانه حل شد")) == [FA.surveys.thanks_with_comment]

    db.expire_all()
    case = db.execute(select(RecoveryCase).where(RecoveryCase.order_number == "4829173")).scalar_one()
    coupon = db.get(Compensation, case.compensation_id)
    answers = {
        s.kind: s
        for s in db.execute(
            select(SurveyResponse).where(SurveyResponse.conversation_id == case.conversation_id)
        ).scalars()
    }
    assert (case.category, case.severity, case.status) == ("late_delivery", "low", "recovered")
    assert coupon.code in texts(issued)[0] and (coupon.kind, coupon.status) == ("free_delivery", "issued")
    assert (answers["ces"].answer, answers["nps"].score) == ("very_easy", 9)
    assert answers["nps"].comment == "سریع و مؤدبانه حل شد"
    assert db.execute(select(Customer.locale).where(Customer.external_id == sender)).scalar_one() == "fa"


def test_a_typed_persian_complaint_is_high_severity_and_recovered_with_persian_digits(server, db):
    sender = "fa-typed"
    first = send(server, sender, "سه هفته است که سفارشم نرسیده و هیچ‌کس جواب نمی‌دهد")
    assert texts(first)[0] in {
        t.replace("{complaint_label}", "تأخیر در ارسال") for t in persian("utter_apologise_high")
    }
    offer = send(server, sender, "۷۷۱۲۳۴۵۶")  # the description came with the complaint: the remedy, then the offer
    remedy, goodwill = texts(offer)[0].split("\n\n", 1)
    assert remedy == FA.recovery.remedy("delivery_follow_up", order="77123456")
    assert goodwill.endswith(FA.recovery.message("offer", offer="۲۰٪ تخفیف برای سفارش بعدی‌تان"))
    issued = send(server, sender, payload(offer, "بله، لطفاً"))
    db.expire_all()
    case = db.execute(select(RecoveryCase).where(RecoveryCase.order_number == "77123456")).scalar_one()
    coupon = db.get(Compensation, case.compensation_id)
    assert (case.severity, coupon.kind, coupon.percent) == ("high", "coupon_percent", 20)
    assert texts(issued)[0] == FA.recovery.message("issued", code=coupon.code, offer="۲۰٪ تخفیف برای سفارش بعدی‌تان")


def test_a_request_for_a_person_in_persian(server):
    sender = "fa-human"
    assert texts(send(server, sender, "سلام"))[0] in persian("utter_greet")  # typed, understood
    asked = send(server, sender, "می‌خوام با یه آدم واقعی حرف بزنم")
    assert texts(asked)[0].startswith("از یکی از همکارانمان خواستم گفتگو را ادامه دهد.")
    # Open: the queue position; closed: the next opening (whichever the clock says), in Persian.
    assert "شما نفر بعدی هستید." in texts(asked)[0] or "اکنون خارج از ساعات کاری هستیم؛" in texts(asked)[0]
    assert texts(send(server, sender, "سلام؟ کسی هست؟")) == [FA.escalation.messages["holding"]]


def test_a_mixed_conversation_stays_in_persian_and_an_english_customer_in_english(server):
    """A Persian customer types an English product name: whatever the bot makes of it, it answers
    in Persian, with Persian buttons; an English customer next door is answered in English."""
    sender = "fa-mixed"
    first = send(server, sender, "قاب iPhone 13 Pro دارید؟")
    second = send(server, sender, "iPhone 13")  # a product name alone keeps the conversation Persian
    for reply in first + second:
        assert script_language(reply["text"]) == "fa", reply
        assert all(script_language(title) == "fa" for title in titles(reply)), reply
    topics = send(server, sender, "/help")
    assert texts(topics)[0] in persian("utter_help")
    english_customer = send(server, "en-next-door", "where is my order?")
    assert texts(english_customer)[0] in english("utter_faq/order_status")
    assert texts(english_customer)[1] == "Did that answer your question?"


def test_a_survey_skipped_in_persian(server):
    sender = "fa-skip"
    answer = send(server, sender, '/choose_topic{"topic":"delivery_times"}', metadata={"language_hint": "fa"})
    assert texts(answer)[0] in persian("utter_faq/delivery_times")
    asked = send(server, sender, "/affirm")
    assert texts(asked)[-1] == FA.surveys.questions["ces"]
    assert texts(send(server, sender, "بی‌خیال")) == [FA.surveys.skipped]
