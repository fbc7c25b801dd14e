"""The web app and JSON API, on the fixture index injected through a dependency override."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import client_for, evaluator_settings
from fastapi.testclient import TestClient

from reportqa.judgements import load_judgements
from web.app import create_app
from web.holder import RetrieverHolder


@pytest.fixture
def web_settings(fake_retriever, tmp_path: Path):
    return evaluator_settings(fake_retriever.settings, tmp_path / "judgements.jsonl", tmp_path)


@pytest.fixture
def client(web_settings, fake_retriever) -> TestClient:
    return client_for(web_settings, fake_retriever)


# --- API ------------------------------------------------------------------------------------------------
def test_api_search_has_the_cli_fields(client) -> None:
    body = client.get("/api/search", params={"q": "licenced premises review", "k": 3}).json()
    assert body["query"] == "licenced premises review"
    first = body["results"][0]
    assert set(first) == {"rank", "passage_id", "doc_id", "doc_title", "section", "page", "text", "score", "highlights",
                          "citation"}
    assert first["citation"]["harvard"].startswith("Author, T. (2021) ")  # manifest "Test Author", family first
    assert "28-day" in first["text"]


def test_api_ask(client) -> None:
    body = client.get("/api/ask", params={"q": "how long is the review period for licenced premises?"}).json()
    assert body["abstained"] is False and body["citations"] and "28-day" in body["answer"]


@pytest.mark.parametrize("q", ["", "   ", "\t\n", "x" * 1001])
def test_bad_queries_get_422_with_a_message(client, q: str) -> None:
    for path in ("/api/search", "/api/ask"):
        response = client.get(path, params={"q": q})
        assert response.status_code == 422
        assert "query" in response.json()["detail"].lower()


def test_missing_query_and_bad_k_are_422(client) -> None:
    assert client.get("/api/search").status_code == 422
    assert client.get("/api/search", params={"q": "orders", "k": 0}).status_code == 422
    assert client.get("/api/search", params={"q": "orders", "k": "many"}).status_code == 422


def test_unknown_document_and_passage_are_404(client) -> None:
    assert client.get("/api/search", params={"q": "orders", "doc": "nope"}).status_code == 404
    assert client.get("/api/passages/nope-123").status_code == 404
    assert client.get("/doc/nope").status_code == 404
    assert client.get("/api/passages/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/doc/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_passage_documents_and_health(client, fake_retriever) -> None:
    pid = fake_retriever.reader.passages[2].passage_id
    passage = client.get(f"/api/passages/{pid}").json()
    assert passage["passage_id"] == pid and passage["url"].endswith(f"#p-{pid}") and f"?p={pid}&" in passage["url"]
    assert passage["url"].startswith("http://127.0.0.1:8000/doc/")  # the public base URL, not the request's Host
    docs = client.get("/api/documents").json()
    assert {d["doc_id"] for d in docs} == {"alpha-review", "beta-survey"}
    health = client.get("/api/health").json()
    assert health["index_loaded"] and health["passages"] == len(fake_retriever.reader.passages)


def test_openapi_and_docs_are_served_offline(client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/search", "/api/ask", "/api/passages/{passage_id}", "/api/documents", "/api/health",
            "/api/judgements"} <= set(schema["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn.jsdelivr" not in docs.text


# --- judgements --------------------------------------------------------------------------------------------
def test_judgement_is_appended(client, web_settings, fake_retriever) -> None:
    pid = fake_retriever.reader.passages[0].passage_id
    response = client.post("/api/judgements", json={"query": "hotel guests", "passage_id": pid, "relevant": True})
    assert response.status_code == 201 and response.json()["saved"]
    [record] = load_judgements(web_settings.judgements_path)
    assert record.query == "hotel guests" and record.passage_id == pid and record.relevant is True


def test_judgements_need_the_evaluator_switch(web_settings, fake_retriever) -> None:
    client = client_for(web_settings.model_copy(update={"evaluator_mode": False}), fake_retriever)
    pid = fake_retriever.reader.passages[0].passage_id
    assert client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True}).status_code == 403


def test_bad_judgements_are_refused(client) -> None:
    def post(passage_id: str) -> int:
        body = {"query": "q", "passage_id": passage_id, "relevant": True}
        return client.post("/api/judgements", json=body).status_code

    assert post("no-such") == 404
    assert post("x/../y") == 422
    assert client.post("/api/judgements", content=b"{not json", headers={"content-type": "application/json"}
                       ).status_code == 422


# --- pages --------------------------------------------------------------------------------------------------
def test_search_page_works_without_javascript(client) -> None:
    page = client.get("/", params={"q": "how long is the review period for licenced premises?"}).text
    assert '<form class="search" method="get"' in page
    assert "Answer from the reports" in page and "28-day" in page
    assert '<mark class="evidence">' in page or 'class="evidence-row"' in page
    assert "Open in context" in page and 'data-citation="' in page
    assert "Relevant" in page  # evaluator mode is on in these tests


def test_abstention_page_lists_nearest_passages(client) -> None:
    page = client.get("/", params={"q": "What is the capital of Peru and its population?"}).text
    assert 'data-outcome="not_covered"' in page and "Not covered by the reports" in page
    assert "The reports don&#39;t cover this" in page or "The reports don't cover this" in page
    assert "Closest passages" in page and "Peru" in page


def test_script_in_query_renders_inert(client) -> None:
    payloads = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)"]
    for payload in payloads:
        page = client.get("/", params={"q": payload}).text
        assert payload not in page
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/", params={"q": payloads[0]}).text


def test_reader_highlights_the_passage(client, fake_retriever) -> None:
    passage = next(p for p in fake_retriever.reader.passages if "Operation Lantern" in p.text)
    page = client.get(f"/doc/{passage.doc_id}", params={"p": passage.passage_id}).text
    assert f'id="p-{passage.passage_id}"' in page
    assert '<mark class="passage" id="focus"' in page
    assert "Operation Lantern" in page and 'href="#s-' in page
    stale = client.get(f"/doc/{passage.doc_id}", params={"p": "beta-survey-0000000000"})  # a changed passage
    assert stale.status_code == 200 and "has changed" in stale.text


def test_glossary_about_and_evaluator(client) -> None:
    glossary = client.get("/glossary").text
    assert "CAWN" in glossary and "?q=CAWN" in glossary
    about = client.get("/about").text
    assert "Alpha Review of Disruption Measures" in about and "never writes its own text" in about
    assert "No evaluation has been run yet" in client.get("/evaluator").text


# --- more pages and API --------------------------------------------------------------------------------------
def test_page_says_why_it_abstained_and_what_it_corrected(client, fake_retriever, monkeypatch) -> None:
    page = client.get("/", params={"q": "what did Devon police do about licenced premises?"}).text
    assert 'data-testid="abstain-reasons"' in page and "“Devon”" in page
    monkeypatch.setattr(fake_retriever.analyser.speller, "is_english", lambda word: False)
    fake_retriever.clear_cache()
    page = client.get("/", params={"q": "how long is the review period for licenced premisess?"}).text
    assert 'data-testid="corrections"' in page and "<del>premisess</del>" in page


def test_judgements_accept_booleans_only_and_say_when_they_cannot_save(web_settings, fake_retriever,
                                                                      tmp_path) -> None:
    client = client_for(web_settings, fake_retriever)
    pid = fake_retriever.passages[0].passage_id
    for value in ("yes", 1, "true", None):
        response = client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": value})
        assert response.status_code == 422, value
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    client = client_for(web_settings.model_copy(update={"judgements_path": blocked}), fake_retriever)
    response = client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True})
    assert response.status_code == 503 and "not saved" in response.json()["detail"]


def test_a_huge_query_is_not_echoed_back_whole(client) -> None:
    page = client.get("/", params={"q": "x" * 60_000})
    assert page.status_code == 422 and "too long" in page.text and len(page.text) < 20_000


def test_health_reports_a_new_build_at_once(fake_built) -> None:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import live_build
    from retriever.retriever import Retriever

    embedder = FakeEmbedder()
    holder = RetrieverHolder(fake_built, opener=lambda s: Retriever.open(s, embedder=embedder, check_corpus=False))
    holder.load()
    client = TestClient(create_app(fake_built, holder=holder, load_on_startup=False))
    first = client.get("/api/health").json()["build"]
    (fake_built.corpus_dir / "alpha-review.txt").write_text("A new report on hotels and taxis.\n", encoding="utf-8")
    build_index(fake_built, embedder=embedder, progress=False)
    now = client.get("/api/health").json()["build"]
    assert now != first and now == live_build(fake_built.index_dir).name.removeprefix("build-")


def test_health_is_degraded_with_the_error_while_a_new_build_on_disk_is_damaged(fake_built) -> None:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import live_build
    from retriever.retriever import Retriever

    embedder = FakeEmbedder()
    holder = RetrieverHolder(fake_built, opener=lambda s: Retriever.open(s, embedder=embedder, check_corpus=False))
    holder.load()
    client = TestClient(create_app(fake_built, holder=holder, load_on_startup=False))
    first = client.get("/api/health").json()
    assert first["status"] == "ok" and first["detail"] is None
    (fake_built.corpus_dir / "alpha-review.txt").write_text("A new report on hotels and taxis.\n", encoding="utf-8")
    build_index(fake_built, embedder=embedder, progress=False)
    vectors = live_build(fake_built.index_dir) / "sentences.npy"
    vectors.write_bytes(vectors.read_bytes()[:-64] + b"\x7f" * 64)  # the new build on disk is damaged
    health = client.get("/api/health")
    body = health.json()
    assert health.status_code == 200 and body["status"] == "degraded"  # still answering, from the build before
    assert body["build"] == first["build"] and "sentences.npy" in body["detail"] and "not served" in body["detail"]
    assert client.get("/api/search", params={"q": "warning notices"}).status_code == 200
