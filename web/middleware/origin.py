"""Writes only from this server's own pages: a request that may change something (any method but
GET, HEAD and OPTIONS) is refused with 403 when the browser says it was sent by a page of another
origin, even another port of the same host (which shares this server's cookies).

Browsers say where a request comes from in ``Sec-Fetch-Site`` and ``Origin``. When a browser sends
``Sec-Fetch-Site`` (every current one does), it decides: it must be ``same-origin``. (``Origin`` does
not: under this server's ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null`` even for
its own forms.) Without it, ``Origin`` must be this server's own: the scheme and Host of the request
(the Host names served are checked before this), or the origin of the public base URL. A request
with neither header is not from a browser page (curl, a script, the tests): it carries no cookies a
page could ride on, and passes (the access token, when set, is still checked after this). The
workbench's forms are also bound to the browser's session (web/workbench/auth.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from web.middleware.base import HttpMiddleware, send_html, send_json

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_PORTS = {"http": "80", "https": "443"}
API_PATHS = ("/api", "/openapi")
REFUSED = ("This change was refused: it was sent from a page of another site or port, not from ReportQA's own "
           "pages. Open ReportQA itself and try again.")
REFUSED_PAGE = ("<!doctype html><html lang=\"en-GB\"><meta charset=\"utf-8\"><title>Refused – ReportQA</title>"
                f"<h1>Refused</h1><p>{REFUSED}</p></html>")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower-cased, the scheme's default port left out; None
    when ``url`` is not an http(s) URL (``null``, a file, nonsense)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port and str(port) != DEFAULT_PORTS[parts.scheme] else "")


class SameOriginWritesMiddleware(HttpMiddleware):
    """Refuses (403) a write whose ``Sec-Fetch-Site`` is not ``same-origin``, or without one, whose
    ``Origin`` is not this server's own (the request's scheme and Host, or ``public_origin``)."""

    def __init__(self, app: ASGIApp, public_base_url: str | None = None) -> None:
        super().__init__(app)
        self.public_origin = origin_of(public_base_url) if public_base_url else None

    def own_origins(self, scope: Scope) -> set[str]:
        """The origins this request's own pages have."""
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        found = {origin_of(f"{scope.get('scheme', 'http')}://{host}"), self.public_origin}
        return {o for o in found if o}

    def allowed(self, scope: Scope) -> bool:
        """Whether this request may go on to the routes."""
        if scope.get("method", "GET") in SAFE_METHODS:
            return True
        headers = dict(scope.get("headers", []))
        site = headers.get(b"sec-fetch-site")
        if site is not None:
            return site.strip().lower() == b"same-origin"
        origin = headers.get(b"origin")
        return origin is None or origin_of(origin.decode("latin-1")) in self.own_origins(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed(scope):
            await self.app(scope, receive, send)
        elif scope.get("path", "").startswith(API_PATHS):
            await send_json(send, 403, {"detail": REFUSED})
        else:
            await send_html(send, 403, REFUSED_PAGE)
