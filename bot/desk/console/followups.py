"""The staff console's follow-ups: what is scheduled, sent and answered, and a cancel button."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.desk.console.access import Staff, db, int_param, page, redirect, refuse, requires
from bot.followup import schedule
from bot.followup.report import followup_figures
from bot.storage.models import StaffRole, utcnow

REPORT_DAYS = 30


async def _page(request: web.Request, staff: Staff, error: str = "", status: int = 200) -> web.Response:
    now = utcnow()

    def read(session):
        rows = schedule.listing(session)
        figures = followup_figures(session, since=now - timedelta(days=REPORT_DAYS), until=now)
        return rows, figures

    rows, figures = await db(request, read)
    return page("followups.html", status=status, staff=staff, rows=rows, figures=figures, days=REPORT_DAYS, error=error)


@requires(StaffRole.AGENT.value)
async def followups_page(request: web.Request, staff: Staff) -> web.Response:
    return await _page(request, staff)


@requires(StaffRole.AGENT.value)
async def cancel_followup(request: web.Request, staff: Staff) -> web.Response:
    followup_id = int_param(request, "followup_id")
    if not await db(request, lambda s: schedule.cancel(s, followup_id, by=staff.username)):
        return refuse(request, 404, "there is no such follow-up waiting to be sent")
    return redirect("/desk/followups")
