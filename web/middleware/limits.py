"""Limits on what one request, and one client, may ask of the server: the size of a request
body (413) and the number of requests a minute (429).

The requests a minute are counted per server: with several workers (``reportqa serve --workers``)
every worker counts in one small SQLite file (``shared``), so a client gets the limit, not the limit
times the workers. One worker counts in memory. The client is the address the connection comes
from, or, behind a proxy on this machine, the address uvicorn takes from X-Forwarded-For (it trusts
that header from 127.0.0.1 only).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict, deque
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.middleware.base import HttpMiddleware, send_json

SMUGGLING = {"detail": "a request cannot carry both Content-Length and Transfer-Encoding"}
WINDOW_SECONDS = 60.0
log = logging.getLogger(__name__)


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


class LocalWindow:
    """Each client's requests of the last minute, in this process's memory. At most ``max_clients``
    addresses are tracked, the least recently seen forgotten first."""

    def __init__(self, max_clients: int) -> None:
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, client: str, per_minute: int, now: float) -> float | None:
        """Count a request of ``client`` at ``now`` when it is within ``per_minute``; else the
        seconds until one of its requests leaves the window (and it is not counted)."""
        times = self._seen.pop(client, None) or deque()
        while times and now - times[0] > WINDOW_SECONDS:
            times.popleft()
        self._seen[client] = times
        if len(self._seen) > self.max_clients:
            self._seen.popitem(last=False)
        if len(times) >= per_minute:
            return WINDOW_SECONDS - (now - times[0])
        times.append(now)
        return None


class SharedWindow:
    """Each client's requests of the last minute, in a SQLite file every worker of a server shares:
    one short write transaction a request (the check and the count together), the old rows
    deleted as they go. Its size stays at the requests of one minute."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = OFF")  # counts of the last minute: nothing to keep after a crash
            conn.execute("CREATE TABLE IF NOT EXISTS hits (client TEXT NOT NULL, at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS hits_by_client ON hits (client, at)")
            self._conn = conn
        return self._conn

    def take(self, client: str, per_minute: int, now: float) -> float | None:
        """As LocalWindow.take, counted across every worker."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM hits WHERE at < ?", (now - WINDOW_SECONDS,))
            count, oldest = conn.execute("SELECT COUNT(*), MIN(at) FROM hits WHERE client = ?", (client,)).fetchone()
            if count >= per_minute:
                conn.execute("COMMIT")
                return WINDOW_SECONDS - (now - oldest)
            conn.execute("INSERT INTO hits (client, at) VALUES (?, ?)", (client, now))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return None


class RateLimitMiddleware(HttpMiddleware):
    """At most ``per_minute`` requests a minute from one client address (static files do not
    count; 0 turns the limit off); more get 429 with Retry-After. Counted in ``shared`` (a SQLite
    file the server's workers share) when given, else in memory, for at most ``max_clients``
    addresses, the least recently seen forgotten first. When the shared file cannot be used, this
    worker counts on its own (logged once)."""

    def __init__(self, app: ASGIApp, per_minute: int, max_clients: int = 10_000, shared: Path | None = None) -> None:
        super().__init__(app)
        self.per_minute = per_minute
        self.local = LocalWindow(max_clients)
        self.shared = SharedWindow(shared) if shared is not None else None

    def _take(self, client: str, now: float) -> float | None:
        if self.shared is not None:
            try:
                return self.shared.take(client, self.per_minute, now)
            except sqlite3.Error as exc:
                log.error("the shared rate-limit counts in %s cannot be used (%s): this worker counts on its own",
                          self.shared.path, exc)
                self.shared = None
        return self.local.take(client, self.per_minute, now)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.per_minute <= 0 or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self._take(client, time.time())
        if wait is not None:
            await send_json(send, 429, {"detail": f"too many requests: at most {self.per_minute} a minute"},
                            [(b"retry-after", str(max(1, int(wait + 1))).encode())])
            return
        await self.app(scope, receive, send)
