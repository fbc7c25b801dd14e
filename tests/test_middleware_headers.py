"""Security headers (web/middleware/headers.py): every response carries the page policy and the
hardening headers; nothing is cached but static files; the API docs page gets its own policy."""

from __future__ import annotations

import pytest
from asgi_support import call, headers_of
from conftest import client_for
from fastapi.testclient import TestClient

from web.middleware.base import CSP, DOCS_CSP, HEADERS
from web.middleware.headers import SecurityHeadersMiddleware


@pytest.fixture
def client(fake_retriever) -> TestClient:
    return client_for(fake_retriever.settings, fake_retriever)


def test_security_headers(client) -> None:
    for path in ("/", "/api/health", "/doc/alpha-review"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_only_static_files_keep_their_own_caching_and_only_the_docs_allow_inline_script() -> None:
    async def cached(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"cache-control", b"max-age=60")]})
        await send({"type": "http.response.body", "body": b""})

    middleware = SecurityHeadersMiddleware(cached)
    page = call(middleware, "/glossary")
    assert [v for k, v in page[0]["headers"] if k == b"cache-control"] == [b"no-store"]
    assert headers_of(page)[b"content-security-policy"] == CSP.encode()
    static = call(middleware, "/static/style.css")
    assert [v for k, v in static[0]["headers"] if k == b"cache-control"] == [b"max-age=60"]
    assert headers_of(call(middleware, "/docs"))[b"content-security-policy"] == DOCS_CSP.encode()
    assert "'unsafe-inline'" not in CSP and "'unsafe-inline'" in DOCS_CSP


def test_a_response_that_already_carries_the_headers_gets_each_once() -> None:
    async def hardened(scope, receive, send) -> None:  # as a middleware's own answer (base.send_json) is
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"default-src *"),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": b""})

    names = [k for k, _ in call(SecurityHeadersMiddleware(hardened), "/api/health")[0]["headers"]]
    assert names.count(b"x-frame-options") == names.count(b"content-security-policy") == 1
    assert b"www-authenticate" in names
    policy = headers_of(call(SecurityHeadersMiddleware(hardened), "/api/health"))[b"content-security-policy"]
    assert policy == CSP.encode()


def test_a_response_without_headers_gets_them_all() -> None:
    async def bare(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    names = [k for k, _ in call(SecurityHeadersMiddleware(bare), "/api/health")[0]["headers"]]
    assert sorted(names) == sorted([k for k, _ in HEADERS] + [b"content-security-policy"])
