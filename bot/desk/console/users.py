"""The staff console's user management (admins only): list, add and disable staff users."""

from __future__ import annotations

from aiohttp import web

from bot.desk import auth
from bot.desk.console.access import Staff, db, int_param, page, redirect, requires
from bot.storage.ids import fits_bigint
from bot.storage.models import StaffRole, StaffUser


async def _users(request: web.Request, staff: Staff, error: str = "", status: int = 200) -> web.Response:
    users = await db(request, auth.list_users)
    return page("users.html", status=status, staff=staff, users=users, roles=auth.ROLES, error=error)


@requires(StaffRole.ADMIN.value)
async def users_page(request: web.Request, staff: Staff) -> web.Response:
    return await _users(request, staff)


@requires(StaffRole.ADMIN.value)
async def add_user(request: web.Request, staff: Staff) -> web.Response:
    form = await request.post()
    telegram = str(form.get("telegram_id", "")).strip()
    try:
        telegram_id = int(telegram) if telegram else None
        if telegram_id is not None and not fits_bigint(telegram_id):
            raise auth.StaffError("the Telegram id is too large")
        await db(
            request,
            lambda s: auth.add_user(
                s,
                username=str(form.get("username", "")),
                display_name=str(form.get("display_name", "")),
                password=str(form.get("password", "")),
                role=str(form.get("role", "")),
                telegram_user_id=telegram_id,
            ),
        )
    except ValueError as invalid:  # StaffError, or a Telegram id that is not a number
        return await _users(
            request,
            staff,
            str(invalid) if isinstance(invalid, auth.StaffError) else "the Telegram id must be a number",
            400,
        )
    return redirect("/desk/users")


@requires(StaffRole.ADMIN.value)
async def disable_user(request: web.Request, staff: Staff) -> web.Response:
    user_id = int_param(request, "user_id")
    if user_id == staff.id:
        return await _users(request, staff, "you cannot disable your own account", 400)

    def work(session):
        user = session.get(StaffUser, user_id)
        if user is None:
            raise auth.StaffError("there is no such user")
        auth.disable_user(session, user.username)

    try:
        await db(request, work)
    except auth.StaffError as invalid:
        return await _users(request, staff, str(invalid), 404)
    return redirect("/desk/users")
