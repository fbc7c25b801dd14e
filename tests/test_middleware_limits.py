"""Request limits (web/middleware/limits.py): the body size, with or without a Content-Length,
the request-smuggling shape, and the per-client rate limit, counted across a server's workers."""

from __future__ import annotations

import pytest
from asgi_support import call, echo_app, headers_of, ok_app, status_and_body
from conftest import client_for
from fastapi.testclient import TestClient

from web.middleware.limits import BodySizeLimitMiddleware, RateLimitMiddleware, SharedWindow


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
    assert status("10.0.0.1") == 200 and len(app.local._seen) == 2


def test_the_rate_limit_is_shared_by_a_servers_workers(tmp_path) -> None:
    # two workers of one server (issue 22, D16: with two workers, 38 of 60 requests passed a limit of 20)
    shared = tmp_path / ".reportqa-rate-8000.sqlite3"
    workers = [RateLimitMiddleware(ok_app, per_minute=20, shared=shared) for _ in range(2)]
    statuses = [call(workers[n % 2], client=("10.0.0.1", 1234))[0]["status"] for n in range(60)]
    assert statuses.count(200) == 20 and statuses[:20] == [200] * 20
    refused = call(workers[1], client=("10.0.0.1", 1234))
    assert refused[0]["status"] == 429 and 1 <= int(headers_of(refused)[b"retry-after"]) <= 61
    assert call(workers[0], client=("10.0.0.2", 1234))[0]["status"] == 200  # each client counted apart
    alone = [RateLimitMiddleware(ok_app, per_minute=20) for _ in range(2)]  # without the file: each its own
    assert [call(alone[n % 2], client=("10.0.0.1", 1234))[0]["status"] for n in range(60)].count(200) == 40


def test_old_counts_leave_the_shared_window(tmp_path) -> None:
    window = SharedWindow(tmp_path / "rate.sqlite3")
    assert window.take("a", 2, 1000.0) is None and window.take("a", 2, 1001.0) is None
    assert window.take("a", 2, 1030.0) == pytest.approx(30.0)  # the oldest leaves the window in 30 s
    assert window.take("a", 2, 1061.0) is None  # a minute on: room again, and the old rows are gone
    assert window._connection().execute("SELECT COUNT(*) FROM hits").fetchone()[0] == 2


def test_a_shared_file_that_cannot_be_used_falls_back_to_counting_alone(tmp_path, caplog) -> None:
    folder = tmp_path / "not-a-file.sqlite3"
    folder.mkdir()
    app = RateLimitMiddleware(ok_app, per_minute=1, shared=folder)
    assert [call(app, client=("10.0.0.1", 1))[0]["status"] for _ in range(2)] == [200, 429]
    assert app.shared is None and "counts on its own" in caplog.text


def test_several_workers_share_the_count_in_the_data_folder(fake_retriever, tmp_path) -> None:
    from web.app import create_app

    settings = fake_retriever.settings.model_copy(update={"workers": 2, "data_dir": tmp_path, "port": 8123,
                                                          "rate_limit_per_minute": 5})
    [limit] = [m for m in create_app(settings, load_on_startup=False).user_middleware
               if m.cls is RateLimitMiddleware]
    assert limit.kwargs["shared"] == tmp_path / ".reportqa-rate-8123.sqlite3"
    [alone] = [m for m in create_app(settings.model_copy(update={"workers": 1}), load_on_startup=False)
               .user_middleware if m.cls is RateLimitMiddleware]
    assert alone.kwargs["shared"] is None
