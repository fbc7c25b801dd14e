"""HEAD on every GET route: the GET response's status and headers, without the body."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from web.middleware.base import HttpMiddleware


class HeadMiddleware(HttpMiddleware):
    """Answers HEAD as GET, with the body left out (FastAPI routes answer GET only)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, without_body)
