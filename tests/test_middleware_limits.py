"""Request limits (web/middleware/limits.py): the body size, with or without a Content-Length,
the request-smuggling shape, and the per-client rate limit."""

from __future__ import annotations

from asgi_support import call, echo_app, headers_of, ok_app, status_and_body
from conftest import client_for
from fastapi.testclient import TestClient

from web.middleware.limits import BodySizeLimitMiddleware, RateLimitMiddleware


def test_request_body_limit(fake_retriever) -> None:
    client = client_for(fake_retriever.settings, fake_retriever)
    big = {"query": "q" * 900, "passage_id": fake_retriever.reader.passages[0].passage_id, "relevant": True,
           "who": "w" * 100, "pad": "x" * 20_000}
    assert client.post("/api/judgements", json=big).status_code == 413


def test_the_streamed_body_limit_holds_without_a_content_length() -> None:
    app = BodySizeLimitMiddleware(echo_app, limit=100)
    chunked = [(b"transfer-encoding", b"chunked")]
    assert status_and_body(call(app, method="POST", headers=chunked, chunks=[b"x" * 60, b"y" * 30])) == (
        200, b"x" * 60 + b"y" * 30)
    assert status_and_body(call(app, method="POST", headers=chunked, chunks=[b"x" * 60, b"y" * 60]))[0] == 413
    assert status_and_body(call(app, method="POST", headers=[(b"content-length", b"500")],
                                chunks=[b"x" * 500]))[0] == 413
    both = [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")]
    assert status_and_body(call(app, method="POST", headers=both, chunks=[b"x" * 10]))[0] == 400


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


def test_the_rate_limit_counts_each_client_and_forgets_the_oldest() -> None:
    app = RateLimitMiddleware(ok_app, per_minute=1, max_clients=2)

    def status(client: str) -> int:
        return call(app, client=(client, 1234))[0]["status"]

    assert [status("10.0.0.1"), status("10.0.0.1"), status("10.0.0.2")] == [200, 429, 200]
    refused = call(app, client=("10.0.0.2", 1234))
    assert refused[0]["status"] == 429 and 1 <= int(headers_of(refused)[b"retry-after"]) <= 61
    assert status("10.0.0.3") == 200  # a third client: the least recently seen (10.0.0.1) is forgotten
    assert status("10.0.0.1") == 200 and len(app._seen) == 2
