"""Export and erase from the desk: admins only (the route walks in test_desk_console check every
role), a confirmation step before erasing, customers' requests listed, each action audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.privacy import audit
from bot.storage.models import Conversation, Customer, Message
from bot.storage.privacy import PrivacyRequest
from tests.unit.test_desk_console import customer_waiting, desk_app, signed_in

__all__ = ["desk_app"]


async def test_an_admin_exports_and_erases_after_confirming(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app, sender="visitor-9", text="my address is 5 Elm Road")
    with session_factory.begin() as session:
        customer_id = session.get(Conversation, conversation_id).customer_id
        session.add(PrivacyRequest(customer_id=customer_id, conversation_id=conversation_id, kind="erase"))
    admin, manager = await signed_in(desk_app, "root"), await signed_in(desk_app, "mia")
    page = await admin.get("/desk/privacy")
    assert page.status == 200 and "visitor-9" in await page.text()
    assert (await manager.post("/desk/privacy/export", {"channel": "widget", "id": "visitor-9"})).status == 403

    exported = await admin.post("/desk/privacy/export", {"channel": "widget", "id": "visitor-9"})
    assert exported.status == 200 and exported.headers["Content-Disposition"].startswith("attachment")
    assert "5 Elm Road" in await exported.text()

    asked = await admin.post("/desk/privacy/erase", {"channel": "widget", "id": "visitor-9"})
    assert asked.status == 200 and "Type the customer id again" in await asked.text()
    wrong = await admin.post("/desk/privacy/erase", {"channel": "widget", "id": "visitor-9", "confirm": "visitor-8"})
    assert wrong.status == 200
    with session_factory() as session:
        texts = session.execute(select(Message.text).where(Message.conversation_id == conversation_id)).scalars()
        assert "my address is 5 Elm Road" in list(texts)  # nothing erased without the confirmation

    done = await admin.post("/desk/privacy/erase", {"channel": "widget", "id": "visitor-9", "confirm": "visitor-9"})
    assert done.status == 303 and done.headers["Location"] == "/desk/privacy?done=erased"
    with session_factory() as session:
        texts = session.execute(select(Message.text).where(Message.conversation_id == conversation_id)).scalars()
        assert not [text for text in texts if "Elm" in text]
        assert session.get(Customer, customer_id).external_id == f"erased-{customer_id}"
        assert session.execute(select(PrivacyRequest.status)).scalars().all() == ["done"]
        logged = [(e.actor, e.action) for e in reversed(audit.entries(session))]
    assert logged == [("root", audit.CUSTOMER_EXPORTED), ("root", audit.CUSTOMER_ERASED)]
    again = await admin.post("/desk/privacy/erase", {"channel": "widget", "id": "visitor-9", "confirm": "visitor-9"})
    assert again.status == 404  # nobody left by that id: nothing changes


PRIVACY_ROUTES = [("GET", "/desk/privacy"), ("GET", "/desk/audit"), ("POST", "/desk/privacy/export")]
PRIVACY_ROUTES += [("POST", "/desk/privacy/erase")]


async def test_only_admins_reach_the_privacy_routes(desk_app, session_factory):
    await customer_waiting(desk_app, sender="visitor-9", text="my address is 5 Elm Road")
    agent, manager = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    form = {"channel": "widget", "id": "visitor-9", "confirm": "visitor-9"}
    for method, path in PRIVACY_ROUTES:
        anonymous = await desk_app.request(method, path, data=form, allow_redirects=False)
        assert anonymous.status == 401, path
        for staff in (agent, manager):
            response = await (staff.get(path) if method == "GET" else staff.post(path, form))
            assert response.status == 403, (path, staff.token)
    with session_factory() as session:
        texts = session.execute(select(Message.text)).scalars().all()
        assert "my address is 5 Elm Road" in texts  # nothing was erased
        assert audit.entries(session) == []  # and nothing exported
