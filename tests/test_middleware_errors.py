"""Unexpected errors (web/middleware/errors.py): logged once, without the query, and answered with
a plain 500, JSON for the API and a short page for a browser."""

from __future__ import annotations

import logging

from asgi_support import call, headers_of, status_and_body
from conftest import app_for
from fastapi.testclient import TestClient

from web.middleware.errors import LoggedErrorsMiddleware


def test_an_unexpected_error_is_logged_once(fake_retriever, monkeypatch, caplog) -> None:
    app = app_for(fake_retriever.settings, fake_retriever)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(fake_retriever, "search", broken)
    with caplog.at_level(logging.ERROR):
        response = TestClient(app, raise_server_exceptions=True).get("/api/search", params={"q": "orders"})
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None and "orders" not in errors[0].getMessage()


async def _fails(scope, receive, send) -> None:
    raise RuntimeError("a bug")


async def _fails_midway(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("a bug")


def test_a_page_gets_a_short_error_page_and_a_started_response_is_left_alone(caplog) -> None:
    middleware = LoggedErrorsMiddleware(_fails)
    with caplog.at_level(logging.ERROR, logger="reportqa.access"):
        sent = call(middleware, "/glossary", query=b"q=Jane+Doe")
    status, body = status_and_body(sent)
    assert status == 500 and b"Something went wrong" in body
    assert headers_of(sent)[b"content-type"].startswith(b"text/html") and b"content-security-policy" in headers_of(sent)
    assert caplog.records[-1].getMessage() == "unexpected error on /glossary"  # the path, never the query
    midway = call(LoggedErrorsMiddleware(_fails_midway), "/api/search")
    assert [m["type"] for m in midway] == ["http.response.start"] and midway[0]["status"] == 200


def test_the_answers_to_an_unexpected_error_are_exactly_these() -> None:
    for path in ("/api/search", "/docs", "/openapi.json", "/redoc"):
        status, body = status_and_body(call(LoggedErrorsMiddleware(_fails), path))
        assert (status, body) == (500, b'{"detail": "internal error"}'), path
    status, body = status_and_body(call(LoggedErrorsMiddleware(_fails), "/glossary"))
    assert body == b"<!doctype html><title>ReportQA</title><h1>Something went wrong</h1>"


def test_a_request_without_a_path_is_still_answered(caplog) -> None:
    async def no_path(scope, receive, send) -> None:
        raise RuntimeError("a bug")

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    import asyncio

    with caplog.at_level(logging.ERROR, logger="reportqa.access"):
        asyncio.run(LoggedErrorsMiddleware(no_path)({"type": "http", "method": "GET", "headers": []}, receive, send))
    assert sent[0]["status"] == 500 and caplog.records[-1].getMessage() == "unexpected error on "
