"""What the middleware shares (web/middleware/base.py): non-HTTP traffic passes through, and a
response a middleware sends itself carries the hardening headers and the page policy."""

from __future__ import annotations

import asyncio
import json

from asgi_support import call, headers_of, status_and_body

from web.middleware.base import CSP, HEADERS, HttpMiddleware, send_html, send_json


class Refusing(HttpMiddleware):
    async def handle(self, scope, receive, send) -> None:
        await send_json(send, 418, {"detail": "no"}, [(b"x-extra", b"1")])


def test_only_http_requests_reach_handle() -> None:
    seen: list[str] = []

    async def app(scope, receive, send) -> None:
        seen.append(scope["type"])

    middleware = Refusing(app)
    asyncio.run(middleware({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]  # passed straight through
    sent = call(middleware)
    assert seen == ["lifespan"] and status_and_body(sent) == (418, b'{"detail": "no"}')


def test_a_middlewares_own_response_is_hardened_like_any_other() -> None:
    sent = call(Refusing(None))
    headers = headers_of(sent)
    assert headers[b"content-type"] == b"application/json" and headers[b"x-extra"] == b"1"
    assert int(headers[b"content-length"]) == len(json.dumps({"detail": "no"}))
    assert headers[b"content-security-policy"] == CSP.encode()
    assert all(headers[name] == value for name, value in HEADERS)


def test_an_html_response_says_its_charset_and_length() -> None:
    class Page(HttpMiddleware):
        async def handle(self, scope, receive, send) -> None:
            await send_html(send, 401, "<p>café</p>")

    sent = call(Page(None))
    assert status_and_body(sent) == (401, "<p>café</p>".encode())
    assert headers_of(sent)[b"content-type"] == b"text/html; charset=utf-8"
    assert headers_of(sent)[b"content-length"] == str(len("<p>café</p>".encode())).encode()


def test_other_traffic_gets_the_same_receive_and_send() -> None:
    received: list = []

    async def app(scope, receive, send) -> None:
        received.append((receive, send))

    async def receive() -> dict:
        return {}

    async def send(message) -> None:
        return None

    asyncio.run(Refusing(app)({"type": "websocket"}, receive, send))
    assert received == [(receive, send)]
