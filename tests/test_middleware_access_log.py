"""The access log (web/middleware/access_log.py): one line per request; the query text only when
switched on, the token never, and control characters in a path escaped."""

from __future__ import annotations

import logging

import pytest
from asgi_support import call, ok_app
from conftest import app_for, client_for
from fastapi.testclient import TestClient
from pydantic import SecretStr

from web.middleware.access_log import AccessLogMiddleware, escape_controls

TOKEN = "s3cret-token"


@pytest.fixture
def client(fake_retriever) -> TestClient:
    return client_for(fake_retriever.settings, fake_retriever)


def test_query_text_is_not_logged_by_default(client, caplog) -> None:
    secret = "Jane Doe 14 Acacia Avenue"
    with caplog.at_level(logging.DEBUG):
        client.get("/", params={"q": secret})
        client.get("/api/search", params={"q": secret})
    # everything the server side logged (the test's own HTTP client logs its URLs; that is not the server)
    text = " ".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "GET /api/search 200" in text
    assert "Jane" not in text and "Acacia" not in text


def test_query_logging_can_be_switched_on(fake_retriever, caplog) -> None:
    client = client_for(fake_retriever.settings.model_copy(update={"log_queries": True}), fake_retriever)
    with caplog.at_level(logging.INFO):
        client.get("/api/search", params={"q": "acacia"})
    # the server's own access log line (the test's HTTP client logs its URLs too: that is not the server)
    served = [r.getMessage() for r in caplog.records if r.name == "reportqa.access"]
    assert len(served) == 1 and served[0].startswith("GET /api/search?q=acacia 200 ")


def test_control_characters_in_paths_cannot_forge_log_lines(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        call(AccessLogMiddleware(ok_app), "/x\r\nINFO reportqa.access: GET /admin 200\x1b[31m")
    line = caplog.records[-1].getMessage()
    assert "\r" not in line and "\n" not in line and "\x1b" not in line
    assert "\\r\\nINFO" in line and "\\x1b[31m" in line
    assert escape_controls("a\tb\u2028c") == "a\\tb\\u2028c"


def test_the_token_is_never_logged(fake_retriever, caplog) -> None:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr(TOKEN), "log_queries": True})
    app = app_for(settings, fake_retriever)
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        TestClient(app).get(f"/?token={TOKEN}&q=orders", follow_redirects=False)
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "reportqa.access")
    assert TOKEN not in logged and "q=orders" in logged and "token=%5Bredacted%5D" in logged


def test_a_request_that_fails_is_logged_as_a_500(caplog) -> None:
    async def broken(scope, receive, send) -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.INFO, logger="reportqa.access"), pytest.raises(RuntimeError):
        call(AccessLogMiddleware(broken), "/api/search", method="GET")
    assert caplog.records[-1].getMessage().startswith("GET /api/search 500 ")


def test_one_line_exactly_with_the_time_taken(monkeypatch, caplog) -> None:
    import web.middleware.access_log as access_log

    ticks = iter([10.0, 10.25])
    monkeypatch.setattr(access_log.time, "perf_counter", lambda: next(ticks))
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        call(AccessLogMiddleware(ok_app), "/api/search", query=b"q=Jane+Doe")  # queries are off unless asked for
    assert caplog.records[-1].getMessage() == "GET /api/search 200 250.0ms"
    ticks = iter([10.0, 10.5])
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        call(AccessLogMiddleware(ok_app, log_queries=True), "/", query=b"q=&x=caf%C3%A9&token=s3cret")
    assert caplog.records[-1].getMessage() == "GET /?q=&x=caf%C3%A9&token=%5Bredacted%5D 200 500.0ms"


def test_printable_text_of_any_script_is_logged_as_it_is() -> None:
    assert escape_controls("/café/Ω") == "/café/Ω" and escape_controls("a\x00b") == "a\\x00b"
