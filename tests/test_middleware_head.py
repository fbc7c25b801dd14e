"""HEAD (web/middleware/head.py): every GET route answers HEAD with its status and headers, no body."""

from __future__ import annotations

import pytest
from asgi_support import call, status_and_body
from conftest import client_for
from fastapi.testclient import TestClient

from web.middleware.head import HeadMiddleware


@pytest.fixture
def client_for_head(fake_retriever) -> TestClient:
    return client_for(fake_retriever.settings, fake_retriever)


def test_head_answers_like_get_without_a_body(client_for_head) -> None:
    get, head = client_for_head.get("/api/health"), client_for_head.head("/api/health")
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert client_for_head.head("/glossary").status_code == 200


def test_only_head_is_changed() -> None:
    methods: list[str] = []

    async def app(scope, receive, send) -> None:
        methods.append(scope["method"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})

    middleware = HeadMiddleware(app)
    assert status_and_body(call(middleware, method="HEAD")) == (200, b"")
    assert status_and_body(call(middleware, method="POST")) == (200, b"hello")
    assert methods == ["GET", "POST"]


def test_head_sends_the_get_headers_and_an_empty_body_message_for_each_piece() -> None:
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        await send({"type": "http.response.body", "body": b"hello", "more_body": True})
        await send({"type": "http.response.body", "body": b"world"})

    sent = call(HeadMiddleware(app), method="HEAD")
    assert sent == [{"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]},
                    {"type": "http.response.body", "body": b"", "more_body": True},
                    {"type": "http.response.body", "body": b"", "more_body": False}]
