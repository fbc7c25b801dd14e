"""Authentication and exposure (issue 15, high): a token can never be empty, the server refuses to
face the network without one, and every way a token arrives is checked with a wrong value too."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from conftest import app_for, client_for
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from reportqa.settings import Settings
from web.security import TOKEN_COOKIE, AccessLogMiddleware, TokenAuthMiddleware
from web.serve import check_exposure, is_loopback

TOKEN = "s3cret-token"


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_an_empty_token_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError, match="set but empty"):
        Settings(api_token=blank)


def test_serve_with_an_empty_token_in_the_environment_exits_with_a_clear_message(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_API_TOKEN="", REPORTQA_INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "REPORTQA_API_TOKEN is set but empty" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "index").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)
    check_exposure(Settings(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "reportqa.force.local"])
def test_binding_to_the_network_needs_a_token_or_insecure(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="without an API token"):
        check_exposure(Settings(host=host))
    check_exposure(Settings(host=host, api_token=SecretStr(TOKEN)))
    check_exposure(Settings(host=host, insecure=True))


def test_serve_on_the_network_without_a_token_is_refused_before_indexing(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "reportqa.cli", "serve", "--host", "0.0.0.0"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "--insecure" in result.stderr and not (tmp_path / "index").exists()


@pytest.fixture
def guarded(fake_retriever, tmp_path) -> TestClient:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr(TOKEN),
                                                          "judgements_path": tmp_path / "j.jsonl"})
    return client_for(settings, fake_retriever)


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
    import asyncio
    from urllib.parse import unquote

    sent: list[dict] = []
    middleware = TokenAuthMiddleware(_ok, TOKEN)
    scope = {"type": "http", "method": "GET", "path": unquote(path), "query_string": f"token={TOKEN}".encode(),
             "headers": []}

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    location = dict(sent[0]["headers"])[b"location"].decode()
    assert sent[0]["status"] == 303 and location.startswith("/") and not location.startswith(("//", "/\\"))
def test_a_wrong_token_in_the_address_is_refused(guarded: TestClient) -> None:
    assert guarded.get("/?token=wrong", follow_redirects=False).status_code == 401
    ok = guarded.get(f"/?token={TOKEN}", follow_redirects=False)
    assert ok.status_code == 303 and "token" not in ok.headers["location"]


async def _ok(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_control_characters_in_paths_cannot_forge_log_lines(caplog) -> None:
    import asyncio

    middleware = AccessLogMiddleware(_ok)
    scope = {"type": "http", "method": "GET", "path": "/x\r\nINFO reportqa.access: GET /admin 200\x1b[31m",
             "query_string": b""}

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        return None

    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        asyncio.run(middleware(scope, receive, send))
    line = caplog.records[-1].getMessage()
    assert "\r" not in line and "\n" not in line and "\x1b" not in line
    assert "\\r\\nINFO" in line and "\\x1b[31m" in line


def test_the_token_is_never_logged(fake_retriever, tmp_path, caplog) -> None:
    settings = fake_retriever.settings.model_copy(update={"api_token": SecretStr(TOKEN), "log_queries": True})
    app = app_for(settings, fake_retriever)
    with caplog.at_level(logging.INFO, logger="reportqa.access"):
        TestClient(app).get(f"/?token={TOKEN}&q=orders", follow_redirects=False)
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "reportqa.access")
    assert TOKEN not in logged and "q=orders" in logged and "token=%5Bredacted%5D" in logged


def test_damage_to_the_live_build_is_noticed_and_never_a_500(fake_built, tmp_path) -> None:
    from indexer.embedding import FakeEmbedder
    from indexer.store import live_build
    from retriever.retriever import Retriever

    retriever = Retriever.open(fake_built, embedder=FakeEmbedder())
    client = client_for(fake_built, retriever)
    before = client.get("/api/search", params={"q": "warning notices", "k": 3}).json()["results"]
    assert client.get("/api/health").status_code == 200
    build = live_build(fake_built.index_dir)
    vectors = build / "sentences.npy"
    data = bytearray(vectors.read_bytes())
    data[-64:] = b"\x7f" * 64  # huge floats, as a flipped byte would give
    vectors.write_bytes(bytes(data))
    after = client.get("/api/search", params={"q": "warning notices", "k": 3}).json()["results"]
    assert [r["score"] for r in after] == [r["score"] for r in before]  # verified vectors stay in memory
    health = client.get("/api/health")
    assert health.status_code == 503 and "sentences.npy" in health.json()["detail"]
    (build / "index.sqlite").write_bytes(b"not a database" * 100)
    retriever.reader._local.__dict__.clear()  # a fresh connection per thread, as a new request thread gets
    phrase = client.get("/api/search", params={"q": '"warning notices"'})
    assert phrase.status_code == 503 and "rebuild" in phrase.json()["detail"]



def _asgi(app, method: str, headers: list, chunks: list[bytes]) -> tuple[int, bytes]:
    import asyncio

    sent: list[dict] = []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/", "query_string": b"", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def _echo(scope, receive, send) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message["body"]})


def test_the_streamed_body_limit_holds_without_a_content_length() -> None:
    from web.security import BodySizeLimitMiddleware

    app = BodySizeLimitMiddleware(_echo, limit=100)
    chunked = [(b"transfer-encoding", b"chunked")]
    assert _asgi(app, "POST", chunked, [b"x" * 60, b"y" * 30]) == (200, b"x" * 60 + b"y" * 30)
    assert _asgi(app, "POST", chunked, [b"x" * 60, b"y" * 60])[0] == 413
    assert _asgi(app, "POST", [(b"content-length", b"500")], [b"x" * 500])[0] == 413
    both = [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")]
    assert _asgi(app, "POST", both, [b"x" * 10])[0] == 400


def test_head_answers_like_get_without_a_body(client_for_head) -> None:
    get, head = client_for_head.get("/api/health"), client_for_head.head("/api/health")
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert client_for_head.head("/glossary").status_code == 200


@pytest.fixture
def client_for_head(fake_retriever) -> TestClient:
    return client_for(fake_retriever.settings, fake_retriever)


def test_only_the_servers_own_host_names_are_answered(fake_retriever) -> None:
    settings = fake_retriever.settings.model_copy(update={"allowed_hosts": None})  # the default, on loopback
    assert "127.0.0.1" in settings.served_hosts() and "*" not in settings.served_hosts()
    client = client_for(settings, fake_retriever, base_url="http://127.0.0.1:8000")
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "rebound.attacker.example"}).status_code == 400
    assert Settings(host="0.0.0.0", insecure=True).served_hosts() == ["*"]
    assert Settings(host="0.0.0.0", allowed_hosts=["reportqa.force.local"]).served_hosts() == ["reportqa.force.local"]


def test_a_browser_without_the_token_gets_a_sign_in_page(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert '<form method="get" action="/">' in page.text and 'name="token"' in page.text
    wrong = guarded.get("/?token=nope", headers={"Accept": "text/html"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    api = guarded.get("/api/health", headers={"Accept": "text/html"})
    assert api.status_code == 401 and api.headers["content-type"] == "application/json"


def test_the_rate_limit_is_off_by_default_and_429_when_set(fake_retriever) -> None:
    def client(per_minute: int) -> TestClient:
        settings = fake_retriever.settings.model_copy(update={"rate_limit_per_minute": per_minute})
        return client_for(settings, fake_retriever)

    unlimited = client(0)
    assert all(unlimited.get("/api/health").status_code == 200 for _ in range(20))
    limited = client(3)
    assert [limited.get("/api/health").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert int(limited.get("/api/health").headers["retry-after"]) >= 1
    assert limited.get("/static/style.css").status_code == 200  # static files do not count


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
