"""Calling one ASGI middleware directly, without a server: a request scope, a ``receive`` that plays
the body in chunks, and a ``send`` that records every message, plus two tiny apps to wrap."""

from __future__ import annotations

import asyncio


def call(app, path: str = "/", method: str = "GET", headers: list | None = None, query: bytes = b"",
         chunks: list[bytes] | None = None, **scope) -> list[dict]:
    """The messages ``app`` sends for one HTTP request whose body comes in ``chunks``."""
    sent: list[dict] = []
    body = chunks if chunks is not None else [b""]
    queue = [{"type": "http.request", "body": c, "more_body": i < len(body) - 1} for i, c in enumerate(body)]

    async def receive() -> dict:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    request = {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers or [],
               **scope}
    asyncio.run(app(request, receive, send))
    return sent


def status_and_body(sent: list[dict]) -> tuple[int, bytes]:
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def headers_of(sent: list[dict]) -> dict[bytes, bytes]:
    return dict(sent[0]["headers"])


async def ok_app(scope, receive, send) -> None:
    """Answers 200 with an empty body."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def echo_app(scope, receive, send) -> None:
    """Answers 200 with the request body it was given."""
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message["body"]})
