"""The staff console's customer profile: one person's identities on every channel, their
conversations, and staff merges of two profiles (managers), each with an undo."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import select

from bot.desk.console.access import Staff, db, int_param, page, redirect, refuse, requires
from bot.people import persons
from bot.privacy import audit
from bot.storage.ids import row_id
from bot.storage.models import Conversation, Customer, StaffRole


def _profile(session, customer_id: int) -> dict | None:
    if session.get(Customer, customer_id) is None:
        return None
    ids = persons.identity_ids(session, customer_id)
    return {
        "customer_id": customer_id,
        "identities": list(
            session.execute(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)).scalars()
        ),
        "conversations": list(
            session.execute(
                select(Conversation).where(Conversation.customer_id.in_(ids)).order_by(Conversation.started_at.desc())
            ).scalars()
        ),
        "merges": persons.merges_of(session, customer_id),
    }


def _merge(session, staff: Staff, customer_id: int, other: int) -> None:
    """The merge and its audit entry in one transaction: both stand or fall together."""
    record = persons.merge(session, customer_id, other, staff_id=staff.id)
    moved = ",".join(str(i) for i in json.loads(record.moved_customer_ids))
    subject = f"customer:{customer_id}"
    audit.record(
        session,
        audit.Actor(staff.username, staff.id),
        audit.PROFILES_MERGED,
        subject,
        f"merge:{record.id} moved:{moved}",
    )


def _undo(session, staff: Staff, merge_id: int) -> None:
    record = persons.undo(session, merge_id)
    moved = ",".join(str(i) for i in json.loads(record.moved_customer_ids))
    audit.record(
        session, audit.Actor(staff.username, staff.id), audit.MERGE_UNDONE, f"merge:{merge_id}", f"moved:{moved}"
    )


async def _page(request: web.Request, staff: Staff, customer_id: int, error: str = "", status: int = 200):
    profile = await db(request, lambda s: _profile(s, customer_id))
    if profile is None:
        return refuse(request, 404, "there is no such customer")
    return page("profile.html", status=status, staff=staff, error=error, **profile)


@requires(StaffRole.AGENT.value)
async def profile_page(request: web.Request, staff: Staff) -> web.Response:
    return await _page(request, staff, int_param(request, "customer_id"))


@requires(StaffRole.MANAGER.value)
async def merge_profiles(request: web.Request, staff: Staff) -> web.Response:
    customer_id = int_param(request, "customer_id")
    other = row_id(str((await request.post()).get("other", "")).strip())
    try:
        if other is None:
            raise persons.MergeRefused("the other customer's number is missing")
        await db(request, lambda s: _merge(s, staff, customer_id, other))
    except persons.MergeRefused as refused:
        return await _page(request, staff, customer_id, str(refused), 400)
    return redirect(f"/desk/customers/{customer_id}")


@requires(StaffRole.MANAGER.value)
async def undo_merge(request: web.Request, staff: Staff) -> web.Response:
    merge_id = int_param(request, "merge_id")
    back = row_id(str((await request.post()).get("back", "")).strip())
    try:
        await db(request, lambda s: _undo(s, staff, merge_id))
    except persons.MergeRefused as refused:
        return refuse(request, 404, str(refused))
    return redirect(f"/desk/customers/{back}" if back else "/desk")
