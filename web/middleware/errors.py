"""Unexpected errors (bugs): logged once, with the traceback and without the query, and answered
with a plain 500 (JSON for the API, a short page for a browser)."""

from __future__ import annotations

import logging

from starlette.types import Message, Receive, Scope, Send

from web.middleware.access_log import ACCESS_LOG, escape_controls
from web.middleware.base import HttpMiddleware, send_html, send_json

API_PATHS = ("/api", "/docs", "/openapi", "/redoc")
ERROR_PAGE = "<!doctype html><title>ReportQA</title><h1>Something went wrong</h1>"
log = logging.getLogger(ACCESS_LOG)


class LoggedErrorsMiddleware(HttpMiddleware):
    """An unexpected exception is logged once (the path only: the query string may hold case
    details) and answered with a 500; it is not raised on to the server, which would log it again.
    When the response had already started, it is left as it is."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("unexpected error on %s", escape_controls(scope.get("path", "")))
            if started:
                return
            if scope.get("path", "").startswith(API_PATHS):
                await send_json(send, 500, {"detail": "internal error"})
            else:
                await send_html(send, 500, ERROR_PAGE)
