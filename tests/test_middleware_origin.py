"""Writes only from this server's own pages (web/middleware/origin.py, issue 22, D4): a browser's
write from another origin (another port of the same host included) is refused, whatever it carries;
reading is never refused, and a client that is not a browser page (no Origin, no Sec-Fetch-Site)
passes on to the token check."""

from __future__ import annotations

import json

import pytest
from asgi_support import call, status_and_body

from web.middleware.origin import REFUSED, REFUSED_PAGE, SameOriginWritesMiddleware, origin_of

HOST = [(b"host", b"127.0.0.1:8000")]


def _status(method: str, headers: list, public: str | None = None, path: str = "/evaluator/judgements",
            scheme: str = "http") -> int:
    return call(SameOriginWritesMiddleware(_ok, public), path, method=method, headers=HOST + headers,
                scheme=scheme)[0]["status"]


async def _ok(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("headers", [
    [(b"origin", b"http://127.0.0.1:9999")],  # another port of the same host: same site, other origin
    [(b"origin", b"http://evil.example")],
    [(b"origin", b"null")],  # a sandboxed frame or a data: page
    [(b"origin", b"https://127.0.0.1:8000")],  # another scheme
    [(b"sec-fetch-site", b"same-site")],
    [(b"sec-fetch-site", b"cross-site")],
    [(b"sec-fetch-site", b"none"), (b"origin", b"http://127.0.0.1:8000")],
    [(b"sec-fetch-site", b"cross-site"), (b"origin", b"http://127.0.0.1:8000")],  # Sec-Fetch-Site decides
])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_write_from_another_origin_is_refused(method: str, headers: list) -> None:
    assert _status(method, headers) == 403


@pytest.mark.parametrize("headers", [
    [(b"origin", b"http://127.0.0.1:8000")],
    [(b"origin", b"HTTP://127.0.0.1:8000")],
    [(b"sec-fetch-site", b"same-origin")],
    [(b"sec-fetch-site", b"same-origin"), (b"origin", b"http://127.0.0.1:8000")],
    [(b"sec-fetch-site", b"same-origin"), (b"origin", b"null")],  # a form of ours under no-referrer
    [],  # not a browser page: curl, a script (the access token is checked after this)
])
def test_a_write_from_this_servers_own_pages_passes(headers: list) -> None:
    assert _status("POST", headers) == 200


def test_reading_is_never_refused() -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        assert _status(method, [(b"origin", b"http://evil.example"), (b"sec-fetch-site", b"cross-site")]) == 200


def test_the_public_base_url_is_this_servers_origin_too() -> None:
    proxied = [(b"origin", b"https://reportqa.force.local")]
    assert _status("POST", proxied) == 403
    assert _status("POST", proxied, public="https://reportqa.force.local/") == 200
    assert _status("POST", [(b"origin", b"https://reportqa.force.local:8443")],
                   public="https://reportqa.force.local") == 403


def test_the_refusal_says_why_as_json_for_the_api_and_a_page_otherwise() -> None:
    headers = HOST + [(b"origin", b"http://127.0.0.1:9999")]
    status, body = status_and_body(call(SameOriginWritesMiddleware(_ok), "/api/judgements", method="POST",
                                        headers=headers))
    assert status == 403 and b'"detail"' in body and b"another site" in body
    status, body = status_and_body(call(SameOriginWritesMiddleware(_ok), "/evaluator/jobs", method="POST",
                                        headers=headers))
    assert status == 403 and body.startswith(b"<!doctype html>") and b"Open ReportQA itself" in body


def test_origins_are_compared_in_one_form() -> None:
    assert origin_of("http://127.0.0.1:80/") == "http://127.0.0.1"
    assert origin_of("https://Example.ORG:443") == "https://example.org"
    assert origin_of("http://[::1]:8000") == "http://[::1]:8000"
    for nothing in ("null", "", "file:///etc/passwd", "http://", "http://x:notaport", "javascript:alert(1)"):
        assert origin_of(nothing) is None, nothing


def test_a_request_without_a_scheme_is_taken_as_http() -> None:
    middleware = SameOriginWritesMiddleware(_ok)
    own = call(middleware, "/evaluator/judgements", method="POST", headers=HOST + [(b"origin", b"http://127.0.0.1:8000")])
    assert own[0]["status"] == 200
    assert middleware.own_origins({"headers": HOST}) == {"http://127.0.0.1:8000"}
    assert middleware.own_origins({"headers": HOST, "scheme": "https"}) == {"https://127.0.0.1:8000"}
    assert middleware.own_origins({"headers": []}) == set()  # no Host: no origin of its own


def test_the_refusal_is_exactly_this() -> None:
    headers = HOST + [(b"sec-fetch-site", b"cross-site")]
    status, body = status_and_body(call(SameOriginWritesMiddleware(_ok), "/api/judgements", method="POST",
                                        headers=headers))
    assert json.loads(body) == {"detail": REFUSED} and REFUSED.startswith("This change was refused: it was sent from")
    page = status_and_body(call(SameOriginWritesMiddleware(_ok), "/sign-in", method="POST", headers=headers))[1]
    assert page.decode() == REFUSED_PAGE and "<h1>Refused</h1>" in REFUSED_PAGE
    openapi = status_and_body(call(SameOriginWritesMiddleware(_ok), "/openapi.json", method="POST", headers=headers))
    assert openapi[1].startswith(b'{"detail"')
