"""ASGI middleware for the web app: security headers, request size limits, an optional API
token on every route, and an access log that leaves query text out unless asked to."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict, deque
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("reportqa.access")

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
TOKEN_COOKIE = "reportqa_token"


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


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds a Content-Security-Policy and the usual hardening headers to every response.

    Responses are not cached (queries may hold case details), except static files.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        csp = DOCS_CSP if path in ("/docs", "/redoc") else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                           or path.startswith("/static/")]
                extra = [h for h in HEADERS if not (h[0] == b"cache-control" and path.startswith("/static/"))]
                message["headers"] = headers + extra + [(b"content-security-policy", csp.encode())]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Reads the request body first, and refuses one over ``limit`` bytes with 413, whether it
    comes with a Content-Length or in chunks; refuses a request that carries both Content-Length
    and Transfer-Encoding (a request-smuggling shape) with 400. The app then gets the body whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = [key.lower() for key, _ in scope.get("headers", [])]
        if b"content-length" in names and b"transfer-encoding" in names:
            await _json(send, 400, {"detail": "a request cannot carry both Content-Length and Transfer-Encoding"})
            return
        for key, value in scope.get("headers", []):
            if key.lower() == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _json(send, 413, {"detail": f"request body too large (limit {self.limit} bytes)"})
                return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await _json(send, 413, {"detail": f"request body too large (limit {self.limit} bytes)"})
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


class RateLimitMiddleware:
    """At most ``per_minute`` requests a minute from one client address (static files do not
    count); more get 429 with Retry-After. Memory is bounded: at most ``max_clients`` addresses are
    tracked, the least recently seen forgotten first."""

    def __init__(self, app: ASGIApp, per_minute: int, max_clients: int = 10_000) -> None:
        self.app = app
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.per_minute <= 0 or scope.get("path", "").startswith("/static/"):
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
            await _json(send, 429, {"detail": f"too many requests: at most {self.per_minute} a minute"},
                        [(b"retry-after", str(wait).encode())])
            return
        times.append(now)
        await self.app(scope, receive, send)


class LoggedErrorsMiddleware(HttpMiddleware):
    """An unexpected exception (a bug) is logged once, with its traceback and without the query,
    and answered with a plain 500; it is not raised on to the server, which would log it again."""

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
            if scope.get("path", "").startswith(("/api", "/docs", "/openapi", "/redoc")):
                await _json(send, 500, {"detail": "internal error"})
            else:
                data = b"<!doctype html><title>ReportQA</title><h1>Something went wrong</h1>"
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"text/html; charset=utf-8")] + HEADERS
                            + [(b"content-security-policy", CSP.encode())]})
                await send({"type": "http.response.body", "body": data})


class HeadMiddleware:
    """Answers HEAD on every GET route: the GET response's status and headers, without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, without_body)


SESSION_SECONDS = 12 * 3600  # a shift: the browser signs in again after that


class TokenAuthMiddleware:
    """When a token is configured, every route needs it: as 'Authorization: Bearer …', an
    'X-API-Token' header, or the session cookie set after opening any page with '?token=…'.

    The cookie never holds the token: it holds an expiry and an HMAC of it keyed by the token, so a
    stolen cookie expires, and a token with any characters in it (';' included) works.
    """

    def __init__(self, app: ASGIApp, token: str | None, session_seconds: int = SESSION_SECONDS) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.session_seconds = session_seconds

    def session_value(self, expires: int) -> str:
        signature = hmac.new(self.token or b"", f"reportqa-session:{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{expires}.{signature}"

    def _valid_session(self, value: bytes) -> bool:
        expires, _, _ = value.decode("latin-1").strip('"').partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(value.decode("latin-1").strip('"').encode(),
                                   self.session_value(int(expires)).encode())

    def _given(self, scope: Scope) -> tuple[bytes | None, bool]:
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"")
        if auth.lower().startswith(b"bearer "):
            return auth[7:].strip(), False
        if b"x-api-token" in headers:
            return headers[b"x-api-token"].strip(), False
        for part in headers.get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == TOKEN_COOKIE.encode():
                return (self.token if self._valid_session(value) else b"\x00invalid"), False
        for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
            if name == "token":
                return value.encode("latin-1", "replace"), True
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, from_query = self._given(scope)
        if given is None or not hmac.compare_digest(given, self.token):
            if _wants_page(scope):
                await _sign_in_page(send, wrong=given is not None)
                return
            await _json(send, 401, {"detail": "an API token is required (Authorization: Bearer <token>)"},
                        [(b"www-authenticate", b"Bearer")])
            return
        if from_query:
            # Trade the token in the URL for a cookie, and drop it from the address bar.
            rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"]
            location = same_site_path(scope.get("path", "/")) + (f"?{urlencode(rest)}" if rest else "")
            expires = int(time.time()) + self.session_seconds
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            cookie = (f'{TOKEN_COOKIE}="{self.session_value(expires)}"; HttpOnly; SameSite=Strict; Path=/; '
                      f"Max-Age={self.session_seconds}{secure}")
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


class AccessLogMiddleware:
    """Logs method, path, status and time. The query string is left out unless ``log_queries``."""

    def __init__(self, app: ASGIApp, log_queries: bool = False) -> None:
        self.app = app
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


def same_site_path(path: str) -> str:
    """A path that stays on this site: one leading slash, never '//host' or '/\\host' (which a
    browser reads as another site), no control characters."""
    path = "".join(ch for ch in path if ch.isprintable()).replace("\\", "/")
    return "/" + path.lstrip("/")


def escape_controls(text: str) -> str:
    """``text`` with control characters written as escapes (\\r, \\n, \\x1b…), so a request path
    carrying %0d%0a or ANSI codes cannot forge or colour log lines."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


SIGN_IN_PAGE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in – ReportQA</title></head>
<body><main class="sign-in"><h1>ReportQA</h1>
<p>This server needs its access token. Ask whoever runs it for the token, and enter it once: this
browser then stays signed in for 12 hours.</p>{wrong}
<form method="get" action="/"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""


def _wants_page(scope: Scope) -> bool:
    """A browser asking for a page (not the API or the API docs' JSON)."""
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return b"text/html" in accept and not scope.get("path", "").startswith(("/api", "/openapi"))


async def _sign_in_page(send: Send, wrong: bool) -> None:
    wrong_note = '<p class="error" role="alert">That token is not right.</p>' if wrong else ""
    data = SIGN_IN_PAGE.replace("{wrong}", wrong_note).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(data)).encode()), (b"www-authenticate", b"Bearer")]
                + HEADERS + [(b"content-security-policy", CSP.encode())]})
    await send({"type": "http.response.body", "body": data})


async def _json(send: Send, status: int, body: dict, headers: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
                + HEADERS + [(b"content-security-policy", CSP.encode())] + (headers or [])})
    await send({"type": "http.response.body", "body": data})
