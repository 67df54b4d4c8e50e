"""The security headers of every response the server sends, in one place: staff and manager pages
(/desk, /dashboard), the sample shop pages, the widget's script and its JSON API.

Staff pages show customer text: the Content-Security-Policy is the second line behind escaping,
`frame-ancestors 'none'` stops click-jacking, `no-store` keeps transcripts and exports out of
shared caches and the browser's disk, and `same-origin` keeps conversation ids out of Referer
headers sent elsewhere. The shop pages may be framed only by the sites in
CXBOT_WIDGET_ALLOWED_ORIGINS; the widget's script may be loaded from any of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The console runs only its own script and stylesheet.
DESK_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The dashboard runs no script at all; its stylesheet is inline in each page (bot/dashboard/layout.py).
DASHBOARD_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
AREAS = {"/desk": DESK_POLICY, "/dashboard": DASHBOARD_POLICY}

# The sample shop pages run the widget's script, which talks to this server and styles itself
# with a <style> in its shadow root (and the pages have inline styles).
SHOP_PAGES = ("/", "/fa")
SHOP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
)
# JSON answers and the widget's script are no documents: nothing to run, nothing to frame.
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
WIDGET_SCRIPT = "/widget.js"


def headers_for(path: str) -> dict[str, str] | None:
    """The headers a response on `path` must carry, or None outside the staff areas."""
    for prefix, policy in AREAS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return {"Content-Security-Policy": policy, **_COMMON}
    return None


def frame_ancestors(allowed_origins: Sequence[str]) -> str:
    """CSP's frame-ancestors for the pages a shop may embed: its allowed origins ("*": any)."""
    if "*" in allowed_origins:
        return "*"
    return " ".join(allowed_origins) or "'none'"


def public_headers_for(path: str, allowed_origins: Sequence[str]) -> dict[str, str]:
    """The headers of everything outside the staff areas."""
    if path in SHOP_PAGES:
        policy = SHOP_POLICY.format(ancestors=frame_ancestors(allowed_origins))
        return {
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }
    headers = {"Content-Security-Policy": NOTHING_POLICY, "X-Content-Type-Options": "nosniff"}
    headers["Referrer-Policy"] = "no-referrer"
    if path == WIDGET_SCRIPT:
        # Shop pages on other origins load it with a <script> tag.
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return headers


def security_headers(allowed_origins: Sequence[str] = ("*",)):
    """The middleware; `allowed_origins` are the sites that may embed the widget (settings)."""
    allowed = tuple(allowed_origins)

    @web.middleware
    async def add_headers(request: web.Request, handler):
        """Add the headers to every response, errors and redirects included."""
        headers = headers_for(request.path) or public_headers_for(request.path, allowed)
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers.update(headers)
            raise
        # A stream (the desk's server-sent events, a WebSocket) sent its headers already.
        if not response.prepared:
            response.headers.update(headers)
        return response

    return add_headers
