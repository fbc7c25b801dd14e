"""The access token: when the server has one, every route needs it, as 'Authorization: Bearer …',
an 'X-API-Token' header, or the session cookie a browser gets after opening any page with
'?token=…' (or signing in on the sign-in page, web/templates/sign_in.html).

The cookie never holds the token: it holds an expiry and an HMAC of it keyed by the token, so a
stolen cookie expires, and a token with any characters in it (';' included) works.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from web.middleware.base import HttpMiddleware, send_html, send_json
from web.templating import TEMPLATES

TOKEN_COOKIE = "reportqa_token"
SESSION_SECONDS = 12 * 3600  # a shift: the browser signs in again after that
API_PATHS = ("/api", "/openapi")  # never a sign-in page: their callers are programs
ASK_FOR_TOKEN = [(b"www-authenticate", b"Bearer")]


def same_site_path(path: str) -> str:
    """A path that stays on this site: one leading slash, never '//host' or '/\\host' (which a
    browser reads as another site), no control characters."""
    path = "".join(ch for ch in path if ch.isprintable()).replace("\\", "/")
    return "/" + path.lstrip("/")


def wants_page(scope: Scope) -> bool:
    """A browser asking for a page (not the API or the API docs' JSON)."""
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return b"text/html" in accept and not scope.get("path", "").startswith(API_PATHS)


def sign_in_page(wrong: bool, session_seconds: int = SESSION_SECONDS) -> str:
    """The sign-in page, saying so when the token given was wrong."""
    return TEMPLATES.get_template("sign_in.html").render(wrong=wrong, session_hours=session_seconds // 3600)


class TokenAuthMiddleware(HttpMiddleware):
    """When ``token`` is set, a request without it gets 401 (a browser asking for a page gets the
    sign-in page); a page opened with the token in its address is redirected to the same address
    without it, with the session cookie set."""

    def __init__(self, app: ASGIApp, token: str | None, session_seconds: int = SESSION_SECONDS) -> None:
        super().__init__(app)
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
        """The token the request carries (None: none), and whether it came in the address."""
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
        if self.token is None:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given, from_query = self._given(scope)
        if given is None or not hmac.compare_digest(given, self.token or b""):
            if wants_page(scope):
                await send_html(send, 401, sign_in_page(given is not None, self.session_seconds), ASK_FOR_TOKEN)
            else:
                await send_json(send, 401, {"detail": "an API token is required (Authorization: Bearer <token>)"},
                                ASK_FOR_TOKEN)
            return
        if from_query:
            await self._trade_for_cookie(scope, send)
            return
        await self.app(scope, receive, send)

    async def _trade_for_cookie(self, scope: Scope, send: Send) -> None:
        """Trade the token in the address for the session cookie, and drop it from the address bar."""
        rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"]
        location = same_site_path(scope.get("path", "/")) + (f"?{urlencode(rest)}" if rest else "")
        expires = int(time.time()) + self.session_seconds
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = (f'{TOKEN_COOKIE}="{self.session_value(expires)}"; HttpOnly; SameSite=Strict; Path=/; '
                  f"Max-Age={self.session_seconds}{secure}")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())]})
        await send({"type": "http.response.body", "body": b""})
