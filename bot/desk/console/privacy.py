"""The console's privacy pages (admins only): the audit log."""

from __future__ import annotations

from aiohttp import web

from bot.desk.console.access import Staff, db, page, requires
from bot.privacy import audit
from bot.storage.models import StaffRole

AUDIT_PAGE_ROWS = 500


@requires(StaffRole.ADMIN.value)
async def audit_page(request: web.Request, staff: Staff) -> web.Response:
    """GET /desk/audit: the latest staff actions on customer data, read-only."""
    action = request.query.get("action")
    if action not in audit.ACTIONS:
        action = None
    rows = await db(
        request,
        lambda s: [
            (e.at, e.actor, e.action, e.subject, e.detail)
            for e in audit.entries(s, limit=AUDIT_PAGE_ROWS, action=action)
        ],
    )
    return page("audit.html", staff=staff, rows=rows, actions=audit.ACTIONS, action=action)
