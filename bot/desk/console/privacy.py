"""The console's privacy pages (admins only): the audit log, customers' requests, export and erase.

Erasing asks twice: the first POST shows what will go and asks for the customer's id typed again;
only a second POST with the same id erases.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from sqlalchemy import select

from bot.desk.console.access import STATE, Staff, db, page, redirect, requires
from bot.privacy import audit
from bot.privacy.customers import (
    NoSuchCustomer,
    customer_rows,
    erase_customer,
    erase_trackers,
    export_customer,
    find_customer,
)
from bot.storage.models import Customer, StaffRole
from bot.storage.privacy import PrivacyRequest

AUDIT_PAGE_ROWS = 500
MAX_ID_CHARS = 128


def _actor(staff: Staff) -> audit.Actor:
    return audit.Actor(staff.username, staff.id)


@requires(StaffRole.ADMIN.value)
async def audit_page(request: web.Request, staff: Staff) -> web.Response:
    """GET /desk/audit: the latest staff actions on customer data, read-only."""
    action = request.query.get("action")
    if action not in audit.ACTIONS:
        action = None

    def read(session) -> list[tuple]:
        entries = audit.entries(session, limit=AUDIT_PAGE_ROWS, action=action)
        return [(e.at, e.actor, e.action, e.subject, e.detail) for e in entries]

    rows = await db(request, read)
    return page("audit.html", staff=staff, rows=rows, actions=audit.ACTIONS, action=action)


def _open_requests(session) -> list[tuple]:
    query = (
        select(PrivacyRequest.requested_at, PrivacyRequest.kind, Customer.channel, Customer.external_id)
        .join(Customer, Customer.id == PrivacyRequest.customer_id)
        .where(PrivacyRequest.status == "open")
        .order_by(PrivacyRequest.id)
    )
    return [tuple(row) for row in session.execute(query)]


async def _privacy(request: web.Request, staff: Staff, *, error: str = "", notice: str = "", status: int = 200):
    rows = await db(request, _open_requests)
    return page("privacy.html", status=status, staff=staff, requests=rows, error=error, notice=notice)


@requires(StaffRole.ADMIN.value)
async def privacy_page(request: web.Request, staff: Staff) -> web.Response:
    """GET /desk/privacy: customers' open requests, and the export and erase forms."""
    return await _privacy(request, staff, notice=request.query.get("done", "")[:200])


async def _customer(request: web.Request) -> tuple[str, str, str]:
    form = await request.post()
    channel = str(form.get("channel", "")).strip()[:32]
    external_id = str(form.get("id", "")).strip()[:MAX_ID_CHARS]
    return channel, external_id, str(form.get("confirm", "")).strip()


@requires(StaffRole.ADMIN.value)
async def export(request: web.Request, staff: Staff) -> web.Response:
    """POST /desk/privacy/export: one customer's data as a JSON download (audited)."""
    channel, external_id, _ = await _customer(request)
    try:
        data = await db(request, lambda s: export_customer(s, channel, external_id, _actor(staff)))
    except NoSuchCustomer as missing:
        return await _privacy(request, staff, error=str(missing), status=404)
    name = f"cxbot-customer-{channel}.json"
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@requires(StaffRole.ADMIN.value)
async def erase(request: web.Request, staff: Staff) -> web.Response:
    """POST /desk/privacy/erase: asks for confirmation, then erases (audited)."""
    channel, external_id, confirm = await _customer(request)

    def summary(session) -> dict[str, int]:
        rows = customer_rows(session, find_customer(session, channel, external_id).id)
        return {name: len(found) for name, found in rows.items() if found}

    try:
        if confirm != external_id:
            counts = await db(request, summary)
            return page("erase.html", staff=staff, channel=channel, customer=external_id, counts=counts)
        conversations = await db(request, lambda s: erase_customer(s, channel, external_id, _actor(staff)))
    except NoSuchCustomer as missing:
        return await _privacy(request, staff, error=str(missing), status=404)
    tracker_url = request.app[STATE].settings.tracker_database_url
    await asyncio.to_thread(erase_trackers, tracker_url, conversations)
    return redirect("/desk/privacy?done=erased")
