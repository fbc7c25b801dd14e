"""What the middleware of the web app shares: a base class that hands HTTP requests to ``handle``
and passes everything else (lifespan, websockets) straight through, the hardening headers every
response carries, and the plain responses a middleware sends itself (JSON, an HTML page)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# The API docs page (Swagger UI, served from local files) starts itself with an inline script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
Header = tuple[bytes, bytes]


class HttpMiddleware:
    """Base of the middleware here: anything but an HTTP request passes straight through to the
    app; an HTTP request goes to ``handle``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


async def send_response(send: Send, status: int, content_type: bytes, body: bytes,
                        headers: list[Header] | None = None) -> None:
    """A whole response sent by a middleware, with the hardening headers and the page policy."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
                + (headers or []) + HEADERS + [(b"content-security-policy", CSP.encode())]})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, body: dict, headers: list[Header] | None = None) -> None:
    """``body`` as a JSON response (the shape of FastAPI's errors: ``{"detail": …}``)."""
    await send_response(send, status, b"application/json", json.dumps(body).encode(), headers)


async def send_html(send: Send, status: int, page: str, headers: list[Header] | None = None) -> None:
    """``page`` as an HTML response."""
    await send_response(send, status, b"text/html; charset=utf-8", page.encode(), headers)
