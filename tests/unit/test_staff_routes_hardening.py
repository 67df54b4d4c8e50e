"""Staff and manager routes under hostile input: the security headers on every response, ids
out of the database's range, a note on a conversation that does not exist (issue 21)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.desk.console import routes as console
from bot.storage.models import StaffNote, StaffUser
from tests.support.dashboard_data import add_fixed_data
from tests.unit.test_desk_console import customer_waiting, desk_app, signed_in

__all__ = ["desk_app"]  # the console's fixture, used here as is

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HUGE = str(2**63)
HUGER = "9" * 40


def assert_secured(response, path: str) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, path


async def test_every_staff_and_manager_response_sends_the_security_headers(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        add_fixed_data(session)
    admin = await signed_in(desk_app, "root")
    for path in (
        "/desk",
        "/desk/queue",
        f"/desk/conversations/{conversation_id}",
        f"/desk/conversations/{conversation_id}/transcript",
        "/desk/users",
        "/desk/static/desk.js",
        "/dashboard",
        "/dashboard?since=2026-11-02&until=2026-11-09",
        "/dashboard/conversations?since=2026-11-02&until=2026-11-09&drill=all-surveys",
        f"/dashboard/conversations/{conversation_id}",
        "/dashboard/export/surveys.csv",
        "/dashboard/export/conversations.csv",
        "/dashboard/export/compensation.csv",
        "/dashboard/conversations/999999",  # errors too
        "/dashboard?since=yesterday",
    ):
        response = await admin.get(path)
        assert response.status in (200, 400, 404), path
        assert_secured(response, path)
    for path in ("/desk", "/dashboard", "/desk/login"):  # anonymous: the redirect and the login page
        response = await desk_app.get(path, headers={"Accept": "text/html"}, allow_redirects=False)
        assert_secured(response, path)
    assert (await desk_app.get("/widget/history?visitor=v")).headers.get("Cache-Control") != "no-store"


async def test_every_page_the_staff_and_managers_can_get_is_secured(desk_app, session_factory):
    """Walks the router, so a page added later (a PDF, a privacy page) cannot be missed."""
    conversation_id, _ = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        add_fixed_data(session)
    admin = await signed_in(desk_app, "root")
    seen = set()
    for resource in desk_app.server.app.router.resources():
        if not any(route.method == "GET" for route in resource):
            continue
        path = resource.canonical.replace("{kind}", "surveys")
        path = re.sub(r"\{[a-z_]+\}", str(conversation_id), path)
        response = await admin.get(path)
        assert response.status in (200, 303, 404), (path, response.status)  # 303: signed in already
        assert_secured(response, path)
        response.close()  # the live events stream stays open otherwise
        seen.add(resource.canonical)
    assert {"/desk/audit", "/desk/privacy", "/dashboard/report.pdf", "/desk/static/desk.css"} <= seen


@pytest.mark.parametrize("number", [HUGE, HUGER, "-" + HUGE])
async def test_ids_out_of_range_are_not_found_on_every_route_with_an_id(desk_app, number):
    admin = await signed_in(desk_app, "root")
    checked = 0
    for path, method, _handler in console.CONSOLE_ROUTES:
        if "{" not in path:
            continue
        concrete = path.replace("{conversation_id}", number).replace("{handoff_id}", number)
        concrete = concrete.replace("{compensation_id}", number).replace("{user_id}", number)
        response = await (admin.get(concrete) if method == "GET" else admin.post(concrete, {"text": "x", "to": "1"}))
        assert response.status == 404, (concrete, response.status, await response.text())
        checked += 1
    assert checked >= 10
    response = await admin.get(f"/dashboard/conversations/{number}")
    assert response.status == 404 and "no such conversation" in (await response.json())["error"]


async def test_an_out_of_range_telegram_id_is_refused_with_400(desk_app, session_factory):
    admin = await signed_in(desk_app, "root")
    form = {"username": "zoe", "display_name": "Zoe", "password": "long enough password", "role": "agent"}
    response = await admin.post("/desk/users", {**form, "telegram_id": HUGE})
    assert response.status == 400 and "Telegram id" in await response.text()
    with session_factory() as session:
        assert session.execute(select(StaffUser).where(StaffUser.username == "zoe")).first() is None


async def test_a_note_on_a_conversation_that_does_not_exist_is_not_found(desk_app, session_factory):
    ana = await signed_in(desk_app, "ana")
    response = await ana.post("/desk/conversations/424242/notes", {"text": "who is this?"})
    assert response.status == 404
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(StaffNote)) == 0
