"""Security headers on every response: a Content-Security-Policy and the usual hardening headers.
Responses are not cached (queries may hold case details), except static files."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from web.middleware.base import CSP, DOCS_CSP, HEADERS, HttpMiddleware

DOCS_PATHS = ("/docs", "/redoc")
SET_HERE = {name for name, _ in HEADERS} | {b"content-security-policy"}


class SecurityHeadersMiddleware(HttpMiddleware):
    """Sets the page policy (``DOCS_CSP`` on the API docs pages) and the hardening headers on every
    response, in place of any the response already carries (a middleware's own answer carries them
    too), so none is sent twice; under /static/ the response keeps its own cache-control."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        csp = DOCS_CSP if path in DOCS_PATHS else CSP
        static = path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in SET_HERE or (static and k.lower() == b"cache-control")]
                extra = [h for h in HEADERS if not (h[0] == b"cache-control" and static)]
                message["headers"] = headers + extra + [(b"content-security-policy", csp.encode())]
            await send(message)

        await self.app(scope, receive, send_with_headers)
