"""The access token: when the server has one, every route needs it, as 'Authorization: Bearer …',
an 'X-API-Token' header, or the session cookie a browser gets by signing in: on the sign-in page
(a form posted to /sign-in, so the token never enters an address or the browser's history;
web/templates/sign_in.html), or by opening any page with '?token=…' (a link; the token is then
taken out of the address at once).

The cookie never holds the token: it holds an expiry and an HMAC of it keyed by the token, so a
stolen cookie expires, and a token with any characters in it (';' included) works; tokens are
compared as UTF-8 bytes. A cookie that is not valid (expired, signed with another token after a
rotation, from another instance on the same host) counts as no cookie: the token given with it is
still read, and the stale cookie is cleared.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.middleware.base import Header, HttpMiddleware, send_html, send_json
from web.templating import TEMPLATES

TOKEN_COOKIE = "reportqa_token"
SIGN_IN_PATH = "/sign-in"
MAX_SIGN_IN_FIELDS = 5
URL_SAFE = "/?&=%#:+,;@!$'()*~"  # kept as they are in an address sent back in a Location header
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


def sign_in_page(wrong: bool, session_seconds: int = SESSION_SECONDS, next_path: str = "/") -> str:
    """The sign-in page, saying so when the token given was wrong; signing in goes on to ``next_path``."""
    return TEMPLATES.get_template("sign_in.html").render(wrong=wrong, session_hours=session_seconds // 3600,
                                                        action=SIGN_IN_PATH, next_path=same_site_path(next_path))


def _query(scope: Scope) -> list[tuple[str, str]]:
    """The query string's fields, %-escapes read as UTF-8."""
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                     errors="replace")


class TokenAuthMiddleware(HttpMiddleware):
    """When ``token`` is set, a request without it gets 401 (a browser asking for a page gets the
    sign-in page); a page opened with the token in its address is redirected to the same address
    without it, with the session cookie set; the sign-in form posted to /sign-in with the right
    token is redirected to the page it was shown for, with the session cookie set."""

    def __init__(self, app: ASGIApp, token: str | None, session_seconds: int = SESSION_SECONDS) -> None:
        super().__init__(app)
        self.token = token.encode("utf-8") if token else None
        self.session_seconds = session_seconds

    def session_value(self, expires: int) -> str:
        signature = hmac.new(self.token or b"", f"reportqa-session:{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{expires}.{signature}"

    def valid_session(self, value: bytes) -> bool:
        """Whether a session cookie's value is one this server signed, and not expired."""
        text = value.decode("latin-1").strip('"')
        expires, _, _ = text.partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(text.encode("latin-1"), self.session_value(int(expires)).encode())

    @staticmethod
    def _cookie(scope: Scope) -> bytes | None:
        """The session cookie's value, or None when the request has none."""
        for part in dict(scope.get("headers", [])).get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == TOKEN_COOKIE.encode():
                return value
        return None

    def _given(self, scope: Scope) -> tuple[bytes | None, bool]:
        """The token the request carries (None: none), and whether it came in the address. A
        session cookie that is not valid counts as none."""
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"")
        if auth.lower().startswith(b"bearer "):
            return auth[7:].strip(), False
        if b"x-api-token" in headers:
            return headers[b"x-api-token"].strip(), False
        cookie = self._cookie(scope)
        if cookie is not None and self.valid_session(cookie):
            return self.token, False
        for name, value in _query(scope):
            if name == "token":
                return value.encode("utf-8"), True
        return None, False

    def _right(self, given: bytes | None) -> bool:
        return given is not None and hmac.compare_digest(given, self.token or b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") == SIGN_IN_PATH and scope.get("method") == "POST":
            await self._sign_in(scope, receive, send)
            return
        given, from_query = self._given(scope)
        if not self._right(given):
            await self._refuse(scope, send, wrong=given is not None)
            return
        if from_query:
            rest = [(k, v) for k, v in _query(scope) if k != "token"]
            await self._signed_in(scope, send, scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else ""))
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, wrong: bool) -> None:
        """401: the sign-in page for a browser asking for a page (to come back to it), JSON otherwise;
        a stale session cookie is cleared."""
        headers: list[Header] = list(ASK_FOR_TOKEN)
        cookie = self._cookie(scope)
        if cookie is not None and not self.valid_session(cookie):
            headers.append((b"set-cookie", f"{TOKEN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict".encode()))
        if wants_page(scope):
            rest = [(k, v) for k, v in _query(scope) if k != "token"]
            back = scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else "") \
                if scope.get("method") in ("GET", "HEAD") else "/"
            await send_html(send, 401, sign_in_page(wrong, self.session_seconds, back), headers)
        else:
            await send_json(send, 401, {"detail": "an API token is required (Authorization: Bearer <token>)"},
                            headers)

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The sign-in form, posted: on to the page it was shown for with the right token, the
        sign-in page again (401) with a wrong one."""
        body = b""
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_SIGN_IN_FIELDS))
        except (UnicodeDecodeError, ValueError):
            fields = {}
        next_path = fields.get("next") or "/"
        if not self._right(fields.get("token", "").encode("utf-8")):
            await send_html(send, 401, sign_in_page(True, self.session_seconds, next_path), list(ASK_FOR_TOKEN))
            return
        await self._signed_in(scope, send, next_path)

    async def _signed_in(self, scope: Scope, send: Send, location: str) -> None:
        """Set the session cookie and go on (303) to ``location``, a path on this site."""
        expires = int(time.time()) + self.session_seconds
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = (f'{TOKEN_COOKIE}="{self.session_value(expires)}"; HttpOnly; SameSite=Strict; Path=/; '
                  f"Max-Age={self.session_seconds}{secure}")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", quote(same_site_path(location), safe=URL_SAFE).encode("ascii")),
                                (b"set-cookie", cookie.encode())]})
        await send({"type": "http.response.body", "body": b""})
