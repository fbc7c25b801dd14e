"""Limits on what one request, and one client, may ask of the server: the size of a request
body (413) and the number of requests a minute (429)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.middleware.base import HttpMiddleware, send_json

SMUGGLING = {"detail": "a request cannot carry both Content-Length and Transfer-Encoding"}


class BodySizeLimitMiddleware(HttpMiddleware):
    """Reads the request body first, and refuses one over ``limit`` bytes with 413, whether it
    comes with a Content-Length or in chunks; refuses a request that carries both Content-Length
    and Transfer-Encoding (a request-smuggling shape) with 400. The app then gets the body whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def _too_large(self, send: Send) -> None:
        await send_json(send, 413, {"detail": f"request body too large (limit {self.limit} bytes)"})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(key.lower(), value) for key, value in scope.get("headers", [])]
        names = [key for key, _ in headers]
        if b"content-length" in names and b"transfer-encoding" in names:
            await send_json(send, 400, SMUGGLING)
            return
        if any(key == b"content-length" and value.isdigit() and int(value) > self.limit for key, value in headers):
            await self._too_large(send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RateLimitMiddleware(HttpMiddleware):
    """At most ``per_minute`` requests a minute from one client address (static files do not
    count; 0 turns the limit off); more get 429 with Retry-After. Memory is bounded: at most
    ``max_clients`` addresses are tracked, the least recently seen forgotten first."""

    def __init__(self, app: ASGIApp, per_minute: int, max_clients: int = 10_000) -> None:
        super().__init__(app)
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.per_minute <= 0 or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        now = time.monotonic()
        times = self._seen.pop(client, None) or deque()
        while times and now - times[0] > 60:
            times.popleft()
        self._seen[client] = times
        if len(self._seen) > self.max_clients:
            self._seen.popitem(last=False)
        if len(times) >= self.per_minute:
            wait = max(1, int(61 - (now - times[0])))
            await send_json(send, 429, {"detail": f"too many requests: at most {self.per_minute} a minute"},
                            [(b"retry-after", str(wait).encode())])
            return
        times.append(now)
        await self.app(scope, receive, send)
