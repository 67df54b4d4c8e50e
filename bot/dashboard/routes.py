"""The manager dashboard over HTTP: the page, its drill-downs, the CSV exports and the PDF.

The routes are not public: `add_routes(app, guard, sessions, currency=...)` wraps every handler
in `guard`, which the staff console supplies (`guard(roles=("manager", "admin"))(handler)` returns a handler that
refuses anyone else). This module knows nothing of logins.

    GET /dashboard                           the page (?since=YYYY-MM-DD&until=YYYY-MM-DD&channel=widget)
    GET /dashboard/conversations?drill=KEY   the conversations behind one number (same filters)
    GET /dashboard/conversations/{id}        one conversation's messages
    GET /dashboard/export/{kind}.csv         surveys | conversations | compensation (same filters)
    GET /dashboard/report.pdf                the page as a printable PDF (same filters)
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.dashboard.page import render_conversation_list, render_dashboard, render_transcript
from bot.dashboard.pdf import write_pdf
from bot.dashboard.svg import escape
from bot.dashboard.wording import drill_title
from bot.followup.report import followup_figures
from bot.privacy import audit
from bot.storage.ids import row_id
from bot.storage.models import Conversation, Message
from bot.storage.types import parse_moment
from feedback.exports import KINDS, conversation_rows, export_csv
from feedback.journey import JourneyContent, build_journey
from feedback.metrics import Filters, build_dashboard

DEFAULT_DAYS = 56  # eight weeks: long enough to see a trend, in weekly points
MAX_DAYS = 731
MAX_CHANNEL_CHARS = 32
ROLES = ("manager", "admin")
BASE = "/dashboard"

Guard = Callable[..., Callable]  # guard(roles=(...)) -> decorator for a handler


def _day(text: str, name: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name}: {text[:40]!r} is not a date (use YYYY-MM-DD)") from None


def filters_from(query, now: datetime | None = None) -> Filters:
    """since (inclusive) and until (exclusive) as dates or ISO times, or `to`, the last day included
    (the page's form); default: the last eight weeks."""
    now = now or datetime.now(timezone.utc)
    until_text, since_text = query.get("until", "").strip(), query.get("since", "").strip()
    to_text = query.get("to", "").strip()
    if until_text:
        until = _day(until_text, "until")
    elif to_text:
        until = _day(to_text, "to") + timedelta(days=1)
    else:
        until = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)
    since = _day(since_text, "since") if since_text else until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise web.HTTPBadRequest(reason="since must be before until")
    if until - since > timedelta(days=MAX_DAYS):
        raise web.HTTPBadRequest(reason=f"the period may be at most {MAX_DAYS} days")
    channel = query.get("channel", "").strip() or None
    if channel and len(channel) > MAX_CHANNEL_CHARS:
        raise web.HTTPBadRequest(reason="channel: too long")
    return Filters(since=since, until=until, channel=channel)


def _filter_params(filters: Filters) -> dict[str, str]:
    params = {
        "since": filters.since.date().isoformat()
        if filters.since.time() == datetime.min.time()
        else filters.since.isoformat(),
        "until": filters.until.date().isoformat()
        if filters.until.time() == datetime.min.time()
        else filters.until.isoformat(),
    }
    if filters.channel:
        params["channel"] = filters.channel
    return params


def drill_href(filters: Filters, key: str) -> str:
    return f"{BASE}/conversations?{urlencode({**_filter_params(filters), 'drill': key})}"


def _presets(filters: Filters, now: datetime) -> str:
    """Links to the periods managers ask for most, keeping the channel."""
    tomorrow = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)
    month = tomorrow.replace(day=1) if tomorrow.day > 1 else (tomorrow - timedelta(days=1)).replace(day=1)
    last_month = (month - timedelta(days=1)).replace(day=1)
    periods = [
        ("Last 7 days", tomorrow - timedelta(days=7), tomorrow),
        ("Last 30 days", tomorrow - timedelta(days=30), tomorrow),
        ("Last 8 weeks", tomorrow - timedelta(days=DEFAULT_DAYS), tomorrow),
        ("This month", month, tomorrow),
        ("Last month", last_month, month),
    ]
    links = []
    for name, since, until in periods:
        params = _filter_params(Filters(since=since, until=until, channel=filters.channel))
        current = ' aria-current="true"' if (since, until) == (filters.since, filters.until) else ""
        links.append(f'<a href="{BASE}?{escape(urlencode(params))}"{current}>{name}</a>')
    return '<span class="presets">' + "".join(links) + "</span>"


def _form(filters: Filters, channels: tuple[str, ...], now: datetime | None = None) -> str:
    """The filter bar's form: from and to (both days included), the channel, and the quick periods."""
    params = _filter_params(filters)
    last_day = (filters.until - timedelta(microseconds=1)).date().isoformat()
    options = ['<option value="">all channels</option>'] + [
        f'<option value="{escape(c)}"{" selected" if c == filters.channel else ""}>{escape(c)}</option>'
        for c in channels
    ]
    return (
        f'<form class="filters" method="get" action="{BASE}">'
        f'<label>from<input type="date" name="since" value="{escape(params["since"][:10])}"></label>'
        f'<label>to<input type="date" name="to" value="{escape(last_day)}"></label>'
        f'<label>channel<select name="channel">{"".join(options)}</select></label>'
        '<button type="submit">Show</button>'
        f"{_presets(filters, now or datetime.now(timezone.utc))}</form>"
    )


def _exports(filters: Filters) -> str:
    query = urlencode(_filter_params(filters))
    links = "".join(f'<a href="{BASE}/export/{kind}.csv?{escape(query)}">{kind}.csv</a>' for kind in KINDS)
    pdf = f'<a href="{BASE}/report.pdf?{escape(query)}">report.pdf</a>'
    return f'<p class="exports">Download: {pdf}{links}</p>'


SESSIONS = web.AppKey("dashboard_sessions", sessionmaker)
CURRENCY = web.AppKey("dashboard_currency", str)
JOURNEY = web.AppKey("dashboard_journey", tuple)  # (JourneyContent | None,)


def _sessions(request: web.Request) -> sessionmaker:
    return request.app[SESSIONS]


def _journey(request: web.Request, session, filters: Filters):
    (content,) = request.app[JOURNEY]
    return build_journey(session, filters, content) if content is not None else None


async def dashboard_page(request: web.Request) -> web.Response:
    filters = filters_from(request.query)

    def render() -> str:
        with _sessions(request)() as session:
            board = build_dashboard(session, filters)
            journey = _journey(request, session, filters)
            followups = followup_figures(session, since=filters.since, until=filters.until, channel=filters.channel)
        return render_dashboard(
            board,
            currency=request.app[CURRENCY],
            link=lambda key: drill_href(filters, key),
            form=_form(filters, board.channels),
            exports=_exports(filters),
            journey=journey,
            followups=followups,
        )

    return web.Response(text=await asyncio.to_thread(render), content_type="text/html", charset="utf-8")


async def conversations_page(request: web.Request) -> web.Response:
    filters = filters_from(request.query)
    key = request.query.get("drill", "")
    back = f"{BASE}?{urlencode(_filter_params(filters))}"

    def render() -> str | None:
        with _sessions(request)() as session:
            board = build_dashboard(session, filters)
            drilldown = board.drilldown
            if key.startswith(("journey:", "theme:")):
                journey = _journey(request, session, filters)
                drilldown = journey.drilldown if journey is not None else {}
            if key not in drilldown:
                return None
            rows = conversation_rows(session, filters, ids=drilldown[key])
        return render_conversation_list(
            f"Conversations behind {drill_title(key)}",
            rows,
            back=back,
            transcript=lambda cid: f"{BASE}/conversations/{cid}",
        )

    page = await asyncio.to_thread(render)
    if page is None:
        raise web.HTTPNotFound(reason=f"no number {key[:80]!r} on the dashboard for these filters")
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def conversation_page(request: web.Request) -> web.Response:
    conversation_id = row_id(request.match_info["conversation_id"])
    if conversation_id is None:
        raise web.HTTPNotFound(reason="no such conversation")

    def render() -> str | None:
        with _sessions(request).begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                return None
            audit.record(session, _actor(request), audit.TRANSCRIPT_OPENED, f"conversation:{conversation_id}")
            messages = (
                session.execute(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
                .scalars()
                .all()
            )
            return render_transcript(
                {
                    "public_id": conversation.public_id,
                    "channel": conversation.channel,
                    "state": conversation.state,
                    "started_at": conversation.started_at.isoformat(),
                },
                [
                    {
                        "created_at": m.created_at.isoformat(),
                        "direction": m.direction,
                        "text": m.shown_text,
                        "intent": m.intent,
                        "polarity": m.polarity,
                    }
                    for m in messages
                ],
                back=BASE,
            )

    page = await asyncio.to_thread(render)
    if page is None:
        raise web.HTTPNotFound(reason="no such conversation")
    return web.Response(text=page, content_type="text/html", charset="utf-8")


def _actor(request: web.Request) -> audit.Actor:
    """The signed-in manager, as the console's guard left them on the request."""
    return request.get(audit.ACTOR_KEY) or audit.Actor("unknown")


def _period(filters: Filters) -> str:
    return f"{filters.since:%Y-%m-%d}..{filters.until:%Y-%m-%d}"


async def export_page(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise web.HTTPNotFound(reason=f"no export {kind[:40]!r}; choose one of {', '.join(KINDS)}")
    filters = filters_from(request.query)

    def render() -> str:
        with _sessions(request).begin() as session:
            audit.record(session, _actor(request), audit.REPORT_EXPORTED, f"report:{kind}", _period(filters))
            return export_csv(kind, session, filters)

    params = _filter_params(filters)
    name = f"cxbot-{kind}-{params['since'][:10]}-{params['until'][:10]}.csv"
    return web.Response(
        text=await asyncio.to_thread(render),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def pdf_page(request: web.Request) -> web.Response:
    """The dashboard as the PDF `cxbot report --format pdf` writes: the same cards and charts."""
    filters = filters_from(request.query)

    def render() -> bytes:
        with _sessions(request)() as session:
            board = build_dashboard(session, filters)
        out = io.BytesIO()
        write_pdf(board, out, currency=request.app[CURRENCY])
        return out.getvalue()

    params = _filter_params(filters)
    name = f"cxbot-report-{params['since'][:10]}-{params['until'][:10]}.pdf"
    return web.Response(
        body=await asyncio.to_thread(render),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(
    app: web.Application, guard: Guard, sessions: sessionmaker, *, currency: str, journey: JourneyContent | None = None
) -> None:
    """Mount the dashboard behind `guard(roles=("manager", "admin"))`; money is shown in `currency`
    (compensation.yml's); with `journey` (journey.yml) the page has the journey map and themes."""
    app[SESSIONS] = sessions
    app[CURRENCY] = currency
    app[JOURNEY] = (journey,)
    allowed = guard(roles=ROLES)
    app.router.add_get(BASE, allowed(dashboard_page))
    app.router.add_get(f"{BASE}/conversations", allowed(conversations_page))
    app.router.add_get(f"{BASE}/conversations/{{conversation_id}}", allowed(conversation_page))
    app.router.add_get(f"{BASE}/export/{{kind}}.csv", allowed(export_page))
    app.router.add_get(f"{BASE}/report.pdf", allowed(pdf_page))
