"""Request limits (web/middleware/limits.py): the body size, with or without a Content-Length,
the request-smuggling shape, and the per-client rate limit, counted across a server's workers."""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import threading
from pathlib import Path

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


def test_the_refusals_say_exactly_why() -> None:
    big = call(BodySizeLimitMiddleware(echo_app, limit=100), method="POST", headers=[(b"content-length", b"101")],
               chunks=[b"x" * 101])
    assert status_and_body(big) == (413, b'{"detail": "request body too large (limit 100 bytes)"}')
    streamed = call(BodySizeLimitMiddleware(echo_app, limit=100), method="POST", chunks=[b"x" * 60, b"y" * 60])
    assert status_and_body(streamed) == (413, b'{"detail": "request body too large (limit 100 bytes)"}')
    smuggled = call(BodySizeLimitMiddleware(echo_app, limit=100), method="POST",
                    headers=[(b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")], chunks=[b"x"])
    assert status_and_body(smuggled) == (400, b'{"detail": "a request cannot carry both Content-Length and '
                                              b'Transfer-Encoding"}')
    limited = RateLimitMiddleware(ok_app, per_minute=1)
    call(limited)
    assert status_and_body(call(limited)) == (429, b'{"detail": "too many requests: at most 1 a minute"}')


def test_a_body_of_exactly_the_limit_passes_whole(monkeypatch) -> None:
    app = BodySizeLimitMiddleware(echo_app, limit=100)
    exact = call(app, method="POST", headers=[(b"Content-Length", b"100")], chunks=[b"x" * 100])
    assert status_and_body(exact) == (200, b"x" * 100)
    assert status_and_body(call(app, method="POST", headers=[(b"CONTENT-LENGTH", b"101")], chunks=[b"x"]))[0] == 413
    other = call(app, method="POST", headers=[(b"x-count", b"99999")], chunks=[b"x"])  # another header's number
    assert status_and_body(other) == (200, b"x")
    assert call(app, method="POST", chunks=[]) == []  # the client went before its body came: nothing is sent

    seen: list[dict] = []

    async def reads_twice(scope, receive, send) -> None:
        seen.append(await receive())
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    call(app, method="POST", chunks=[b"ab", b"cd"])
    call(BodySizeLimitMiddleware(reads_twice, limit=100), method="POST", chunks=[b"ab", b"cd"])
    assert seen == [{"type": "http.request", "body": b"abcd", "more_body": False}, {"type": "http.disconnect"}]


def test_retry_after_says_when_the_oldest_request_leaves_the_minute(monkeypatch) -> None:
    import web.middleware.limits as limits

    clock = iter([1000.0, 1029.5, 1059.0, 1060.0, 1060.5])
    monkeypatch.setattr(limits.time, "time", lambda: next(clock))
    app = RateLimitMiddleware(ok_app, per_minute=1)
    assert call(app)[0]["status"] == 200  # at 1000
    assert headers_of(call(app))[b"retry-after"] == b"31"  # at 1029.5: 30.5 s to go, rounded up
    assert headers_of(call(app))[b"retry-after"] == b"2"  # at 1059: 1 s to go, and one more
    assert headers_of(call(app))[b"retry-after"] == b"1"  # at 1060: a minute old is still inside the minute
    assert call(app)[0]["status"] == 200  # at 1060.5: it has left


def test_the_local_and_shared_windows_count_alike() -> None:
    from web.middleware.limits import LocalWindow

    for window in (LocalWindow(10), SharedWindow(Path(tempfile.mkdtemp()) / "rate.sqlite3")):
        assert window.take("a", 2, 1000.0) is None and window.take("a", 2, 1010.0) is None
        assert window.take("a", 2, 1020.0) == pytest.approx(40.0)
        assert window.take("a", 2, 1060.0) == pytest.approx(0.0)  # exactly a minute: still counted
        assert window.take("a", 2, 1060.5) is None  # the first has left
        assert window.take("b", 2, 1060.5) is None  # another client, counted apart
        assert window.take("unknown", 1, 1060.5) is None


def test_the_shared_window_survives_a_failed_count_and_is_used_from_any_thread(tmp_path) -> None:
    window = SharedWindow(tmp_path / "rate.sqlite3")
    with pytest.raises(sqlite3.Error):
        window.take(["not", "an", "address"], 5, 1000.0)  # type: ignore[arg-type]
    assert window.take("a", 5, 1000.0) is None  # the failed count was rolled back: nothing left open
    results: list = []
    worker = threading.Thread(target=lambda: results.append(window.take("a", 5, 1001.0)))
    worker.start()
    worker.join()
    assert results == [None]
    assert window._connection().execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_client_without_an_address_is_counted_as_one(caplog) -> None:
    app = RateLimitMiddleware(ok_app, per_minute=1)
    assert [call(app, client=None)[0]["status"] for _ in range(2)] == [200, 429]
    assert list(app.local._seen) == ["unknown"]
    folder = Path(tempfile.mkdtemp()) / "dir.sqlite3"
    folder.mkdir()
    broken = RateLimitMiddleware(ok_app, per_minute=1, shared=folder)
    with caplog.at_level(logging.ERROR, logger="web.middleware.limits"):
        call(broken)
    assert caplog.records[-1].getMessage().startswith(f"the shared rate-limit counts in {folder} cannot be used (")
    assert caplog.records[-1].getMessage().endswith("): this worker counts on its own")
