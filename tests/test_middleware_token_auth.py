"""The access token (web/middleware/token_auth.py): every way a token arrives is checked, with a
wrong value too; the session cookie is signed and expires; a token in the address becomes the
cookie and leaves the address; a browser without the token gets the sign-in page."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from asgi_support import call, headers_of, ok_app
from conftest import client_for
from fastapi.testclient import TestClient
from pydantic import SecretStr

from web.middleware.token_auth import TOKEN_COOKIE, TokenAuthMiddleware, same_site_path, sign_in_page

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(fake_retriever, tmp_path) -> TestClient:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr(TOKEN),
                                                          "judgements_path": tmp_path / "j.jsonl"})
    return client_for(settings, fake_retriever)


def test_api_token_guards_every_route(guarded: TestClient) -> None:
    for path in ("/", "/api/health", "/api/search?q=orders", "/doc/alpha-review", "/docs", "/openapi.json",
                 "/static/style.css", "/glossary"):
        assert guarded.get(path).status_code == 401, path
        assert guarded.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401, path
        assert guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200, path
    first = guarded.get(f"/?token={TOKEN}&q=orders", follow_redirects=False)
    assert first.status_code == 303 and "token" not in first.headers["location"]
    assert guarded.get(first.headers["location"]).status_code == 200  # the cookie now carries the token


WAYS = {
    "bearer": lambda token: {"headers": {"Authorization": f"Bearer {token}"}},
    "header": lambda token: {"headers": {"X-API-Token": token}},
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_every_way_a_token_arrives_is_checked(guarded: TestClient, way: str) -> None:
    for wrong in ("wrong", TOKEN + "x", TOKEN[:-1], "", TOKEN.upper()):
        assert guarded.get("/api/health", **WAYS[way](wrong)).status_code == 401, (way, wrong)
    assert guarded.get("/api/health", **WAYS[way](TOKEN)).status_code == 200, way


def _session(guarded: TestClient) -> str:
    login = guarded.get(f"/?token={TOKEN}", follow_redirects=False)
    cookie = login.headers["set-cookie"]
    assert TOKEN not in cookie and "HttpOnly" in cookie and "Max-Age=" in cookie
    return cookie.split(";")[0].split("=", 1)[1]


def test_the_session_cookie_is_checked(guarded: TestClient) -> None:
    value = _session(guarded)
    guarded.cookies.clear()
    cookie = lambda v: {"headers": {"Cookie": f"{TOKEN_COOKIE}={v}"}}  # noqa: E731
    assert guarded.get("/api/health", **cookie(value)).status_code == 200
    expires, signature = value.strip('"').split(".")
    for wrong in (TOKEN, "anything", f'"{expires}.{"0" * 64}"', f'"{int(expires) + 99}.{signature}"',
                  f'"1.{signature}"', '""'):
        assert guarded.get("/api/health", **cookie(wrong)).status_code == 401, wrong


def test_a_token_with_a_semicolon_signs_in(fake_retriever) -> None:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr("a;b=c")})
    client = client_for(settings, fake_retriever)
    login = client.get("/?token=a%3Bb%3Dc", follow_redirects=False)
    assert login.status_code == 303
    assert client.get(login.headers["location"]).status_code == 200


@pytest.mark.parametrize("path", ["//evil.example/path", "/\\evil.example", "///evil.example", "/%2F%2Fevil"])
def test_the_sign_in_redirect_stays_on_site(path: str) -> None:
    sent = call(TokenAuthMiddleware(ok_app, TOKEN), unquote(path), query=f"token={TOKEN}".encode())
    location = headers_of(sent)[b"location"].decode()
    assert sent[0]["status"] == 303 and location.startswith("/") and not location.startswith(("//", "/\\"))
    assert same_site_path("/a\r\nb") == "/ab"


def test_a_wrong_token_in_the_address_is_refused(guarded: TestClient) -> None:
    assert guarded.get("/?token=wrong", follow_redirects=False).status_code == 401
    ok = guarded.get(f"/?token={TOKEN}", follow_redirects=False)
    assert ok.status_code == 303 and "token" not in ok.headers["location"]


def test_a_browser_without_the_token_gets_a_sign_in_page(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert '<form method="get" action="/">' in page.text and 'name="token"' in page.text
    assert "not right" not in page.text and "signed in for 12 hours" in page.text
    wrong = guarded.get("/?token=nope", headers={"Accept": "text/html"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    api = guarded.get("/api/health", headers={"Accept": "text/html"})
    assert api.status_code == 401 and api.headers["content-type"] == "application/json"


def test_the_sign_in_page_is_its_template_with_the_session_length() -> None:
    page = sign_in_page(wrong=True, session_seconds=8 * 3600)
    assert page.startswith("<!doctype html>") and "signed in for 8 hours" in page
    assert '<p class="error" role="alert">That token is not right.</p>' in page
    sent = call(TokenAuthMiddleware(ok_app, TOKEN, session_seconds=6 * 3600), headers=[(b"accept", b"text/html")])
    body = sent[1]["body"]
    assert sent[0]["status"] == 401 and b"signed in for 6 hours" in body and b'name="token"' in body
    assert headers_of(sent)[b"www-authenticate"] == b"Bearer"


def test_without_a_token_every_request_passes() -> None:
    assert call(TokenAuthMiddleware(ok_app, None))[0]["status"] == 200
