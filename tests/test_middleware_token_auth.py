"""The access token (web/middleware/token_auth.py): every way a token arrives is checked, with a
wrong value too; the session cookie is signed and expires, and one that is not valid counts as none;
a token in the address becomes the cookie and leaves the address; a browser without the token gets
the sign-in page, which posts the token (never in an address) and compares it as UTF-8."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote, unquote

import pytest
from asgi_support import call, headers_of, ok_app, status_and_body
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
    assert '<form method="post" action="/sign-in">' in page.text and 'name="token"' in page.text
    assert 'name="next" value="/"' in page.text
    assert "not right" not in page.text and "signed in for 12 hours" in page.text
    wrong = guarded.get("/?token=nope", headers={"Accept": "text/html"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    api = guarded.get("/api/health", headers={"Accept": "text/html"})
    assert api.status_code == 401 and api.headers["content-type"] == "application/json"


def test_the_sign_in_page_is_its_template_with_the_session_length() -> None:
    page = sign_in_page(wrong=True, session_seconds=8 * 3600)
    assert page.startswith("<!doctype html>") and "signed in for 8 hours" in page
    assert '<p class="error" id="token-error" role="alert">That token is not right.</p>' in page
    assert 'aria-invalid="true" aria-describedby="token-error"' in page  # the error is tied to its field
    sent = call(TokenAuthMiddleware(ok_app, TOKEN, session_seconds=6 * 3600), headers=[(b"accept", b"text/html")])
    body = sent[1]["body"]
    assert sent[0]["status"] == 401 and b"signed in for 6 hours" in body and b'name="token"' in body
    assert headers_of(sent)[b"www-authenticate"] == b"Bearer"


def test_without_a_token_every_request_passes() -> None:
    assert call(TokenAuthMiddleware(ok_app, None))[0]["status"] == 200


def test_an_expired_but_genuine_session_cookie_is_refused() -> None:
    middleware = TokenAuthMiddleware(ok_app, TOKEN)
    past = int(time.time()) - 60
    genuine = middleware.session_value(past)  # signed with the right token: only its expiry is wrong
    assert middleware.valid_session(middleware.session_value(int(time.time()) + 60).encode())
    assert not middleware.valid_session(genuine.encode())
    sent = call(middleware, "/api/health", headers=[(b"cookie", f'{TOKEN_COOKIE}="{genuine}"'.encode())])
    assert sent[0]["status"] == 401


def test_a_cookie_that_is_not_valid_counts_as_none(guarded: TestClient) -> None:
    # a cookie from before a token rotation, or from another instance on this host: signing in still works
    stale = TokenAuthMiddleware(ok_app, "the-old-token").session_value(int(time.time()) + 3600)
    guarded.cookies.clear()
    page = guarded.get("/glossary", headers={"Accept": "text/html", "Cookie": f'{TOKEN_COOKIE}="{stale}"'})
    assert page.status_code == 401 and "not right" not in page.text  # no token was given: nothing was wrong
    assert f"{TOKEN_COOKIE}=;" in page.headers["set-cookie"] and "Max-Age=0" in page.headers["set-cookie"]
    signed = guarded.get(f"/glossary?token={TOKEN}", headers={"Cookie": f'{TOKEN_COOKIE}="{stale}"'},
                         follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/glossary"
    posted = guarded.post("/sign-in", data={"token": TOKEN, "next": "/glossary"},
                          headers={"Cookie": f'{TOKEN_COOKIE}="{stale}"'}, follow_redirects=False)
    assert posted.status_code == 303 and TOKEN_COOKIE in posted.headers["set-cookie"]


def test_the_sign_in_form_posts_the_token_and_goes_back_to_the_page(guarded: TestClient) -> None:
    page = guarded.get("/glossary?x=1", headers={"Accept": "text/html"})
    assert 'name="next" value="/glossary?x=1"' in page.text and "token=" not in page.text
    wrong = guarded.post("/sign-in", data={"token": "nope", "next": "/glossary?x=1"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not right" in wrong.text and 'value="/glossary?x=1"' in wrong.text
    assert "set-cookie" not in wrong.headers
    right = guarded.post("/sign-in", data={"token": TOKEN, "next": "/glossary?x=1"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/glossary?x=1"
    assert TOKEN not in right.headers["location"] and TOKEN not in right.headers["set-cookie"]
    assert guarded.get("/glossary").status_code == 200  # signed in by the cookie
    away = guarded.post("/sign-in", data={"token": TOKEN, "next": "//evil.example/x"}, follow_redirects=False)
    assert away.headers["location"] == "/evil.example/x"  # never another site


def test_a_token_with_other_than_ascii_characters_signs_in(fake_retriever) -> None:
    token = "clé-Ω-😀"
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr(token)})
    client = client_for(settings, fake_retriever)
    posted = client.post("/sign-in", data={"token": token, "next": "/"}, follow_redirects=False)
    assert posted.status_code == 303  # the form posts UTF-8
    client.cookies.clear()
    linked = client.get("/?token=" + quote(token), follow_redirects=False)
    assert linked.status_code == 303  # the address carries %-escaped UTF-8
    assert client.get("/api/health", headers={"Authorization": f"Bearer {token}".encode()}).status_code == 200
    assert client.post("/sign-in", data={"token": "cle-Ω-😀"}, follow_redirects=False).status_code == 401


def test_the_sign_in_page_sends_each_security_header_once(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"Accept": "text/html"})
    names = [name.lower() for name, _ in page.headers.multi_items()]
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy",
                   "cache-control", "permissions-policy"):
        assert names.count(header) == 1, header


# --- exactly what is sent: the cookie, the redirect, the refusals (mutation testing, issue 22) --------------------
def _session_cookie(sent: list[dict]) -> str:
    return headers_of(sent)[b"set-cookie"].decode()


def test_signing_in_sends_exactly_the_redirect_and_a_strict_cookie_secure_over_https() -> None:
    middleware = TokenAuthMiddleware(ok_app, TOKEN, session_seconds=3600)
    sent = call(middleware, "/glossary", query=f"token={TOKEN}&q=orders&x=".encode())
    assert sent[0]["status"] == 303 and headers_of(sent)[b"location"] == b"/glossary?q=orders&x="
    assert sent[1] == {"type": "http.response.body", "body": b""} and len(sent) == 2
    cookie = _session_cookie(sent)
    assert re.fullmatch(rf'{TOKEN_COOKIE}="\d+\.[0-9a-f]{{64}}"; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600',
                        cookie), cookie
    expires = int(cookie.split('"')[1].split(".")[0])
    assert abs(expires - (time.time() + 3600)) < 5
    assert _session_cookie(call(middleware, "/", query=f"token={TOKEN}".encode(), scheme="https")).endswith(
        "; Max-Age=3600; Secure")
    alone = call(middleware, "/", query=f"token={TOKEN}".encode())
    assert headers_of(alone)[b"location"] == b"/"  # nothing else in the address: no "?"


def test_a_refusal_is_json_for_programs_and_the_sign_in_page_for_a_browser() -> None:
    middleware = TokenAuthMiddleware(ok_app, TOKEN)
    status, body = status_and_body(call(middleware, "/api/search"))
    assert status == 401 and json.loads(body) == {"detail": "an API token is required (Authorization: Bearer <token>)"}
    assert headers_of(call(middleware, "/api/search"))[b"www-authenticate"] == b"Bearer"
    page = call(middleware, "/glossary", headers=[(b"accept", b"text/html")], query=b"token=wrong&x=1&y=")
    assert page[0]["status"] == 401 and headers_of(page)[b"www-authenticate"] == b"Bearer"
    html = page[1]["body"].decode()
    assert 'name="next" value="/glossary?x=1&amp;y="' in html and "wrong" not in html  # the token is not echoed
    assert "That token is not right." in html
    posted = call(middleware, "/evaluator/jobs", method="POST", headers=[(b"accept", b"text/html")])[1]["body"]
    assert b'name="next" value="/"' in posted  # a refused form post comes back to the start, not to a POST address
    head = call(middleware, "/glossary", method="HEAD", headers=[(b"accept", b"text/html")])[1]["body"]
    assert b'name="next" value="/glossary"' in head
    assert b"not right" not in call(middleware, "/", headers=[(b"accept", b"text/html")])[1]["body"]
    empty = call(middleware, "/", headers=[(b"accept", b"text/html")], query=b"token=")[1]["body"]
    assert b"That token is not right." in empty  # an empty token was given, and is wrong
    assert call(middleware, "/", query=b"token=%ff%fe")[0]["status"] == 401  # not UTF-8: wrong, never a 500
    assert sign_in_page(False).count('name="next" value="/"') == 1


def test_the_sign_in_form_reads_its_body_in_pieces_and_says_when_it_is_wrong() -> None:
    middleware = TokenAuthMiddleware(ok_app, TOKEN)
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    pieces = call(middleware, "/sign-in", method="POST", headers=form,
                  chunks=[b"next=%2Fglossary&tok", f"en={TOKEN}".encode()])
    assert pieces[0]["status"] == 303 and headers_of(pieces)[b"location"] == b"/glossary"
    assert _session_cookie(pieces).startswith(f'{TOKEN_COOKIE}="')
    wrong = call(middleware, "/sign-in", method="POST", headers=form, chunks=[b"token=nope&next=/x"])
    assert wrong[0]["status"] == 401 and headers_of(wrong)[b"www-authenticate"] == b"Bearer"
    assert b"That token is not right." in wrong[1]["body"] and b'value="/x"' in wrong[1]["body"]
    assert b"set-cookie" not in headers_of(wrong)
    without_next = call(middleware, "/sign-in", method="POST", headers=form, chunks=[f"token={TOKEN}".encode()])
    assert headers_of(without_next)[b"location"] == b"/"
    crowded = b"&".join([b"a=1"] * 10) + f"&token={TOKEN}".encode()
    assert call(middleware, "/sign-in", method="POST", headers=form, chunks=[crowded])[0]["status"] == 401
    assert call(middleware, "/sign-in", method="POST", chunks=[b"token=\xff"])[0]["status"] == 401
    assert call(middleware, "/sign-in", method="POST", chunks=[])  == []  # the client went: nothing is sent
    nested = call(middleware, "/sign-in", method="POST", chunks=[f"token={TOKEN}&next=/a/b%3Fc%3D%C3%A9".encode()])
    assert headers_of(nested)[b"location"] == b"/a/b?c=%C3%A9"  # an address of this site, ASCII


def test_the_session_cookie_is_found_among_others_however_the_header_is_spaced() -> None:
    middleware = TokenAuthMiddleware(ok_app, TOKEN)
    value = middleware.session_value(int(time.time()) + 60)
    for header in (f'a=1;{TOKEN_COOKIE}="{value}";b=2', f'a=1; {TOKEN_COOKIE}="{value}"', f'{TOKEN_COOKIE}={value}'):
        assert call(middleware, "/api/health", headers=[(b"cookie", header.encode())])[0]["status"] == 200, header
    stale = call(middleware, "/api/health", headers=[(b"cookie", f'{TOKEN_COOKIE}="1.{"0" * 64}"'.encode())])
    assert stale[0]["status"] == 401
    assert headers_of(stale)[b"set-cookie"] == f"{TOKEN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict".encode()


def test_paths_are_kept_on_this_site_exactly() -> None:
    assert same_site_path("/\\evil.example") == "/evil.example"
    assert same_site_path("//evil.example/x") == "/evil.example/x"
    assert same_site_path("/Xavier/X") == "/Xavier/X"
    assert same_site_path("relative") == "/relative"
    assert same_site_path("/a\\b") == "/a/b"
