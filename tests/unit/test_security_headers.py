"""Security headers on every page outside the staff areas (those are in test_staff_routes_hardening),
and the refusal to start with insecure console cookies on a network address."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.http_errors import middlewares
from bot.app.server import widget_history
from bot.app.settings import Settings, check_cookie_settings, load_settings
from bot.channels import rest
from bot.channels.base import ChannelRegistry
from bot.channels.widget import routes as widget
from tests.unit.test_widget_channel import VISITOR

SHOP = "https://shop.example"


def public_app(settings: Settings, session_factory) -> web.Application:
    app = web.Application(middlewares=middlewares(settings))
    rest.add_routes(app, router=lambda: None)
    widget.add_routes(
        app, settings, channels=ChannelRegistry(), router=lambda: None, history=widget_history(session_factory)
    )
    return app


def policy(response) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.mark.parametrize("origins, ancestors", [(("*",), "*"), ((SHOP, "https://www.shop.example"), None)])
async def test_every_public_response_sends_the_security_headers(session_factory, database_url, origins, ancestors):
    settings = Settings(database_url=database_url, widget_allowed_origins=origins)
    async with TestClient(TestServer(public_app(settings, session_factory))) as client:
        for path in ("/", "/fa"):
            page = await client.get(path)
            assert page.status == 200
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            rules = policy(page)
            assert rules["default-src"] == "'none'" and rules["script-src"] == "'self'"
            assert rules["connect-src"] == "'self'" and rules["base-uri"] == "'none'"
            # The shop's own sites may frame the page; with "*", any site may.
            assert rules["frame-ancestors"] == (ancestors or " ".join(origins))
        script = await client.get("/widget.js")
        assert script.headers["Content-Type"].startswith("text/javascript")
        assert script.headers["X-Content-Type-Options"] == "nosniff"
        assert script.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        for path in ("/widget.js", f"/widget/history?visitor={VISITOR}", "/webhooks/rest/", "/no-such-page"):
            response = await client.get(path, headers={"Origin": SHOP})
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "no-referrer", path
            assert policy(response)["frame-ancestors"] == "'none'", path
        refused = await client.post("/webhooks/rest/webhook", data=b"{")  # errors too
        assert refused.status in (400, 503) and refused.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "environ, starts",
    [
        ({}, True),
        ({"CXBOT_DESK_COOKIE_SECURE": "false"}, True),  # 127.0.0.1 by default
        ({"CXBOT_DESK_COOKIE_SECURE": "false", "CXBOT_HOST": "::1"}, True),
        ({"CXBOT_DESK_COOKIE_SECURE": "false", "CXBOT_HOST": "localhost"}, True),
        ({"CXBOT_DESK_COOKIE_SECURE": "false", "CXBOT_HOST": "0.0.0.0"}, False),
        ({"CXBOT_DESK_COOKIE_SECURE": "false", "CXBOT_HOST": "192.168.1.5"}, False),
        ({"CXBOT_DESK_COOKIE_SECURE": "false", "CXBOT_HOST": "0.0.0.0", "CXBOT_ALLOW_INSECURE_COOKIES": "true"}, True),
        ({"CXBOT_HOST": "0.0.0.0"}, True),
    ],
)
def test_insecure_cookies_on_a_network_address_need_an_explicit_yes(environ, starts):
    settings = load_settings(environ)
    if starts:
        check_cookie_settings(settings)
        return
    with pytest.raises(ValueError, match="CXBOT_ALLOW_INSECURE_COOKIES=true"):
        check_cookie_settings(settings)


def test_the_server_says_why_it_does_not_start(tmp_path):
    from bot.app.server import run

    settings = Settings(host="0.0.0.0", desk_cookie_secure=False, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(SystemExit, match="unencrypted"):
        run(settings, tmp_path / "model.tar.gz")
