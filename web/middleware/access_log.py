"""The access log: method, path, status and time of every request. The query string (which may
hold case details) is left out unless ``log_queries`` is set, and the access token never shows."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.middleware.base import HttpMiddleware

ACCESS_LOG = "reportqa.access"
log = logging.getLogger(ACCESS_LOG)


def escape_controls(text: str) -> str:
    """``text`` with control characters written as escapes (\\r, \\n, \\x1b…), so a request path
    carrying %0d%0a or ANSI codes cannot forge or colour log lines."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class AccessLogMiddleware(HttpMiddleware):
    """Logs method, path, status and time. The query string is left out unless ``log_queries``;
    then a ``token`` in it is written as [redacted]."""

    def __init__(self, app: ASGIApp, log_queries: bool = False) -> None:
        super().__init__(app)
        self.log_queries = log_queries

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            target = scope.get("path", "")
            if self.log_queries and scope.get("query_string"):
                pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                target += "?" + urlencode([(k, "[redacted]" if k == "token" else v) for k, v in pairs])
            log.info("%s %s %s %.1fms", escape_controls(str(scope.get("method"))), escape_controls(target), status,
                     (time.perf_counter() - started) * 1000)
