"""Recording and undoing judgements (web/workbench/judging.py), the one path the JSON API and the
workbench's forms share: names normalised on every path, and the same checks and errors on both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import client_for
from fastapi import HTTPException
from workbench_support import post_form

from reportqa.judgements import load_judgements, normalise_name, review
from web.workbench.judging import read_judgements, save_judgement, undo_judgement


def test_api_judgement_with_name_and_undo(wb_client, fake_retriever) -> None:
    pid = fake_retriever.passages[0].passage_id
    body = {"query": "hotel guests", "passage_id": pid, "relevant": True, "who": "Bea"}
    assert wb_client.post("/api/judgements", json=body).json()["who"] == "Bea"
    undone = wb_client.post("/api/judgements/undo", json={"query": "Hotel guests!", "passage_id": pid, "who": "Bea"})
    assert undone.status_code == 201 and undone.json()["retract"] is True
    assert wb_client.post("/api/judgements/undo", json={"query": "hotel guests", "passage_id": pid,
                                                        "who": "Bea"}).status_code == 404


def test_evaluator_names_are_normalised_on_every_path(wb_settings, fake_retriever) -> None:
    # a line of the old judgements file whose name has a tab is migrated as the same evaluator, not dropped
    legacy = wb_settings.judgements_path.with_suffix(".jsonl")
    legacy.write_text(json.dumps({"query": "what is a CAWN", "passage_id": "p7", "relevant": True,
                                  "who": "Alice\tSmith", "when": "2026-01-01T00:00:00+00:00"}) + "\n", encoding="utf-8")
    wb_client = client_for(wb_settings, fake_retriever)
    pid = fake_retriever.passages[0].passage_id
    made = wb_client.post("/api/judgements", json={"query": "hotel guests", "passage_id": pid, "relevant": True,
                                                   "who": "  Alice   Smith "})
    assert made.status_code == 201 and made.json()["who"] == "Alice Smith"
    undone = post_form(wb_client, "/evaluator/judgements/undo", {"query": "hotel guests", "passage_id": pid,
                                                                 "who": "Alice  Smith"})
    assert undone.status_code == 303
    assert wb_client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True,
                                                    "who": " \t "}).status_code == 422
    records = load_judgements(wb_settings.judgements_path)
    assert records[0].who == "Alice Smith"
    assert [r.judgement.passage_id for r in review(records, "Alice  Smith")] == ["p7", pid, pid]
    assert "p7" in wb_client.get("/evaluator/judgements", params={"who": "Alice\tSmith"}).text
    again = wb_client.post("/api/judgements/undo", json={"query": "what is a CAWN", "passage_id": "p7",
                                                         "who": "Alice Smith"})
    assert again.status_code == 201
    assert normalise_name("a\u200bb  c") == "a b c"


def _form(wb_client, path: str, fields: dict):
    return post_form(wb_client, path, fields)


def test_the_api_and_the_form_record_the_same_judgement(wb_client, wb_settings, fake_retriever) -> None:
    pid = fake_retriever.passages[0].passage_id
    api = wb_client.post("/api/judgements", json={"query": " hotel guests ", "passage_id": pid, "relevant": False,
                                                  "who": "Di"})
    form = _form(wb_client, "/evaluator/judgements", {"query": " hotel guests ", "passage_id": pid,
                                                      "relevant": "false", "who": "Di"})
    assert api.status_code == 201 and form.status_code == 303
    by_api, by_form = load_judgements(wb_settings.judgements_path)
    assert (by_api.query, by_api.passage_id, by_api.relevant, by_api.who) == \
        (by_form.query, by_form.passage_id, by_form.relevant, by_form.who) == ("hotel guests", pid, False, "Di")


def test_the_api_and_the_form_refuse_alike(wb_client, wb_settings, fake_retriever, tmp_path: Path) -> None:
    pid = fake_retriever.passages[0].passage_id
    cases = [({"query": "q", "passage_id": "alpha-review-0000000000", "who": "Di"}, 404, "No passage with that id"),
             ({"query": "   ", "passage_id": pid, "who": "Di"}, 422, "The query is empty"),
             ({"query": "q", "passage_id": pid, "who": " \t "}, 422, "Give your name")]
    for fields, status, message in cases:
        api = wb_client.post("/api/judgements", json={**fields, "relevant": True})
        form = _form(wb_client, "/evaluator/judgements", {**fields, "relevant": "true"})
        assert api.status_code == form.status_code == status, fields
        assert message in api.json()["detail"] and message in form.text, fields
    undo_cases = [({"query": "q", "passage_id": pid, "who": " "}, 422, "Give the evaluator (who)"),
                  ({"query": "q", "passage_id": pid, "who": "Di"}, 404, "no standing judgement")]
    for fields, status, message in undo_cases:
        api = wb_client.post("/api/judgements/undo", json=fields)
        form = _form(wb_client, "/evaluator/judgements/undo", fields)
        assert api.status_code == form.status_code == status and message in api.json()["detail"] \
            and message in form.text, fields
    assert load_judgements(wb_settings.judgements_path) == []  # nothing was recorded
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    client = client_for(wb_settings.model_copy(update={"judgements_path": blocked}), fake_retriever)
    api = client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True, "who": "Di"})
    form = _form(client, "/evaluator/judgements", {"query": "q", "passage_id": pid, "relevant": "true", "who": "Di"})
    assert api.status_code == form.status_code == 503
    assert "not saved" in api.json()["detail"] and "not saved" in form.text


def test_recording_needs_the_evaluator_permission_whoever_calls(wb_settings, fake_retriever) -> None:
    closed = wb_settings.model_copy(update={"evaluator_mode": False})
    pid = fake_retriever.passages[0].passage_id
    for call in (lambda: save_judgement(closed, fake_retriever, "q", pid, True, "Di"),
                 lambda: undo_judgement(closed, "q", pid, "Di")):
        with pytest.raises(HTTPException) as refused:
            call()
        assert refused.value.status_code == 403
    saved = save_judgement(wb_settings, fake_retriever, " q ", pid, True, " Di  Ng ")
    assert (saved.query, saved.who) == ("q", "Di Ng")
    assert undo_judgement(wb_settings, "Q", pid, "Di Ng").retraction.retract
    assert [j.retract for j in read_judgements(wb_settings)] == [False, True]
