"""The workbench's judgement pages (web/workbench/judgements.py): the judging toggle and name, judging
and undoing through forms, the review page, the qrels download, and judgement files that are damaged
or cannot be read."""

from __future__ import annotations

from pathlib import Path

from conftest import client_for
from workbench_support import post_form, run_ref

from reportqa.judgements import Judgement, append_judgement, load_judgements, retract_latest, standing


def test_judging_toggle_name_judgement_and_undo_through_forms(wb_client, wb_settings, fake_retriever) -> None:
    ref = run_ref(Path(wb_settings.eval_dir).parent, "bm25")
    assert "wb-judge" not in wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    response = post_form(wb_client, "/evaluator/session", {"judging": "on", "who": "Alice Smith"})
    assert response.status_code == 303 and wb_client.cookies["reportqa_judging"] == "1"
    html = wb_client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert "wb-judge" in html and 'value="Alice Smith"' in html
    pid = fake_retriever.search("Operation Lantern issued notices", k=1)[0].passage.passage_id
    back = f"/evaluator/question?run={ref}&id=a1"
    saved = post_form(wb_client, "/evaluator/judgements", {"query": "Operation Lantern issued notices",
                                                           "passage_id": pid, "relevant": "true", "who": "Alice Smith",
                                                           "back": back}, follow=True)
    assert saved.status_code == 200 and "Saved:" in saved.text and "Alice Smith" in saved.text
    [record] = load_judgements(wb_settings.judgements_path)
    assert (record.who, record.passage_id, record.relevant) == ("Alice Smith", pid, True)
    review_page = wb_client.get("/evaluator/judgements", params={"who": "Alice Smith"}).text
    assert "standing" in review_page and pid in review_page
    undone = post_form(wb_client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                                 "passage_id": pid, "who": "Alice Smith",
                                                                 "back": "/evaluator/judgements"}, follow=True)
    assert undone.status_code == 200 and "Undone" in undone.text and "undone" in undone.text
    assert standing(load_judgements(wb_settings.judgements_path)) == []
    again = post_form(wb_client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                                "passage_id": pid, "who": "Alice Smith"})
    assert again.status_code == 404
    # going elsewhere after a form is refused: only workbench pages
    away = post_form(wb_client, "/evaluator/session", {"who": "A", "back": "//evil.example/x"})
    assert away.headers["location"].startswith("/evaluator?")


def test_qrels_download(wb_client, wb_settings) -> None:
    append_judgement(wb_settings.judgements_path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    append_judgement(wb_settings.judgements_path, Judgement.now("random words", "p8", True, "Cy"))
    response = wb_client.get("/evaluator/judgements.qrels")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert response.text == "a5 0 p9 1\n"
    assert len(wb_client.get("/evaluator/judgements.qrels", params={"unmatched": "true"}).text.splitlines()) == 2


def test_a_bad_byte_in_the_judgements_file_skips_that_line_only(wb_client, wb_settings) -> None:
    path = wb_settings.judgements_path
    append_judgement(path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    with path.open("ab") as fh:
        fh.write(b'{"query": "caf\xe9", "passage_id": "p1", "relevant": true, "who": "Cy", "when": "2026-01-01"}\n')
    append_judgement(path, Judgement.now("what is a CAWN", "p8", False, "Cy"))
    assert [j.passage_id for j in load_judgements(path)] == ["p9", "p8"]
    assert wb_client.get("/evaluator/judgements").status_code == 200
    assert wb_client.get("/evaluator/judgements.qrels").text == "a5 0 p8 0\na5 0 p9 1\n"
    assert retract_latest(path, "what is a CAWN", "p8", "Cy").retract


def test_an_unreadable_judgements_file_is_a_503(wb_settings, fake_retriever, tmp_path: Path) -> None:
    folder = tmp_path / "judgements-as-folder"
    folder.mkdir()
    client = client_for(wb_settings.model_copy(update={"judgements_path": folder}), fake_retriever)
    for path in ("/evaluator/judgements", "/evaluator/judgements.qrels"):
        response = client.get(path)
        assert response.status_code == 503 and "cannot be read" in response.text, path
