"""The evaluator workbench: run records, comparing runs, failures, judgements with names and undo,
qrels export, eval runs from the page (one at a time), permissions, and `reportqa eval --compare`."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from datetime import date
from pathlib import Path

import ir_measures
import pytest
from conftest import client_for, evaluator_settings
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import SecretStr

from eval.compare import format_comparison
from eval.evaluate import evaluate
from eval.report import write_reports
from reportqa.judgements import (
    Judgement,
    JudgementError,
    append_judgement,
    judgement_qrels,
    load_judgements,
    normalise_name,
    retract_latest,
    review,
    standing,
    trec_qrels,
)
from reportqa.run_files import ConfigRun, FailingQuestion, QuestionRecord, RecordedHit
from reportqa.runs import (
    RunFormatError,
    RunNotFoundError,
    compare_runs,
    latest_summaries,
    list_runs,
    load_run,
    open_run,
    resolve_run,
)
from retriever.pipeline import PIPELINES
from web.eval_jobs import EvalJobs, JobBusyError, runner_for, settings_env
from web.workbench_auth import FORM_COOKIE, clean_name

QUESTIONS = [
    ("a1", "facts", "Operation Lantern issued notices", "alpha-review",
     "Operation Lantern issued 220 notices over four years"),
    ("a2", "frontline", "can police make hotels tell them about guests", "alpha-review",
     "managers can be issued with a notice requiring them to provide information about their guests"),
    ("a3", "frontline", "zebra xylophone quasar", "alpha-review",
     "Image hashing lets platforms find and remove known images quickly"),
    ("a4", "trainer", "how long is the review period for licenced premises", "beta-survey",
     "a 28-day review period may be called"),
    ("a5", "trainer", "what is a CAWN", "alpha-review",
     "A CAWN is an official notice served by police which aims to break contact between a suspect and a child"),
    ("a6", "frontline", "police officers notices review evidence", "alpha-review",  # found, but not its evidence
     "Image hashing lets platforms find and remove known images quickly"),
]
CONFIGS = ["bm25", "dense"]


def write_questions(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid, persona, text, doc, quote in QUESTIONS:
            fh.write(json.dumps({"id": qid, "split": "dev", "persona": persona, "tags": [], "question": text,
                                 "answer": "", "evidence": [{"doc_id": doc, "quote": quote}]}) + "\n")
        fh.write(json.dumps({"id": "u1", "split": "dev", "persona": "unanswerable", "tags": [],
                             "question": "What is the capital of Peru?", "answer": "", "evidence": []}) + "\n")
    return path


@pytest.fixture(scope="module")
def eval_root(fake_retriever, tmp_path_factory) -> Path:
    """An eval folder with questions and one real run of two configurations over the fake index."""
    root = tmp_path_factory.mktemp("wb")
    write_questions(root / "eval" / "questions.jsonl")
    evaluate(fake_retriever, root / "eval" / "questions.jsonl", "dev", CONFIGS, root / "eval" / "reports")
    return root


@pytest.fixture
def wb_settings(fake_retriever, eval_root, tmp_path):
    return evaluator_settings(fake_retriever.settings, tmp_path / "judgements.jsonl", eval_root)


@pytest.fixture
def client(wb_settings, fake_retriever) -> TestClient:
    return client_for(wb_settings, fake_retriever)


def form_token(client: TestClient) -> str:
    client.get("/evaluator")
    return client.cookies[FORM_COOKIE]


def post_form(client: TestClient, path: str, fields: dict, follow: bool = False):
    return client.post(path, data={"form_token": form_token(client), **fields}, follow_redirects=follow)


def block(html: str, testid: str, tag: str = "section") -> str:
    """The element with ``data-testid=testid`` (the first ``</tag>`` after it closes it)."""
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index(f"</{tag}>", start)]


def run_ref(eval_root: Path, config: str) -> str:
    return next(r.ref for r in list_runs(eval_root / "eval" / "reports") if r.config == config)


# --- what a run records ----------------------------------------------------------------------
def test_a_run_records_ranks_and_top_passages_per_question(eval_root: Path, fake_retriever) -> None:
    path = resolve_run(run_ref(eval_root, "bm25"), eval_root / "eval" / "reports")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {"per_query", "failing", "overall", "by_persona"} <= set(data)  # the old fields are still there
    by_id = {r["id"]: r for r in data["questions"]}
    assert set(by_id) == set(data["per_query"])
    for qid, record in by_id.items():
        hits = record["hits"]
        assert len(hits) <= fake_retriever.settings.eval_record_depth
        first = next((h["rank"] for h in hits if h["relevant"]), None)
        if first is not None:  # the recorded first rank agrees with the recorded hits and with RR@10
            assert record["first_rank"] == first
            assert data["per_query"][qid]["MRR@10"] == pytest.approx(1 / first if first <= 10 else 0.0)
        else:
            assert record["first_rank"] is None or record["first_rank"] > len(hits)
        assert all(h["features"] and h["short_title"] and h["words"] for h in hits[:3])
        assert not any({"features", "words", "section"} & set(h) for h in hits[3:])  # kept small below the top 3
    summary = json.loads(next(path.parent.glob("*-summary.json")).read_text(encoding="utf-8"))
    assert summary["ask"]["by_question"]["u1"] in ("closest", "not_covered")


def test_failures_are_the_questions_without_evidence_in_the_top_five(eval_root: Path) -> None:
    for config in CONFIGS:
        ref = run_ref(eval_root, config)
        run = open_run(ref, eval_root / "eval" / "reports")
        data = json.loads(run.path.read_text(encoding="utf-8"))
        assert {q.id for q in run.failures(5)} == {f["id"] for f in data["failing"]}
        assert all(q.first_rank is None or q.first_rank > 5 for q in run.failures(5))
    bm25 = open_run(run_ref(eval_root, "bm25"), eval_root / "eval" / "reports")
    assert "a3" in {q.id for q in bm25.failures(5)}  # nonsense words: bm25 cannot find the image-hashing passage


# --- comparing ----------------------------------------------------------------------
def _result(name: str, ranks: dict[str, int | None]) -> ConfigRun:
    per_query, questions, failing = {}, [], []
    for qid, rank in ranks.items():
        rr = 1 / rank if rank and rank <= 10 else 0.0
        per_query[qid] = {"MRR@10": rr, "Hit@5": float(bool(rank and rank <= 5))}
        hits = tuple(RecordedHit(k, f"p{k}", 1.0 / k, k == rank, doc_id="alpha-review", short_title="Alpha",
                                 section="1. Intro", words=f"words {k}") for k in range(1, 4))
        questions.append(QuestionRecord(qid, "frontline" if qid < "q3" else "facts", f"question {qid}?", rank,
                                        50, ("px",), hits))
        if rank is None or rank > 5:
            failing.append(FailingQuestion(qid, "x", f"question {qid}?", rank))
    overall = dict.fromkeys(("Hit@1", "Hit@3", "Hit@5", "Hit@10", "R@1", "R@3", "R@5", "R@10", "MRR@10",
                             "nDCG@10"), 0.5)
    return ConfigRun(name, overall, {"frontline": overall}, {}, 1.0, 2.0, tuple(failing), per_query, tuple(questions))


@pytest.fixture
def fabricated(tmp_path: Path) -> Path:
    """Two runs written by the runner's own writer: q1 3 → 1, q2 1 → missing, q3 2 → 2, q4 30 → 12."""
    reports = tmp_path / "reports"
    write_reports(reports, [_result("before", {"q1": 3, "q2": 1, "q3": 2, "q4": 30, "q5": 4})], None, "dev", 5,
                  day="2026-01-01")
    write_reports(reports, [_result("after", {"q1": 1, "q2": None, "q3": 2, "q4": 12, "q6": 1})], None, "dev", 5,
                  day="2026-01-02")
    return reports


def test_compare_two_fabricated_runs(fabricated: Path) -> None:
    a = open_run("2026-01-01-before", fabricated)
    b = open_run("2026-01-02-after", fabricated)
    c = compare_runs(a, b)
    change = {r.id: r.change for r in c.rows}
    assert change == {"q1": "better", "q2": "worse", "q3": "same", "q4": "better"}
    q1 = next(r for r in c.rows if r.id == "q1")
    assert q1.delta_rr == pytest.approx(1 - 1 / 3) and q1.rank_moved == 2 and (q1.a.outcome, q1.b.outcome) == (
        "top 5", "first")
    q2 = next(r for r in c.rows if r.id == "q2")
    assert q2.b.rank_text == "not in top 50" and q2.b.outcome == "not found" and q2.rank_moved is None
    assert c.only_a == ["q5"] and c.only_b == ["q6"]
    assert c.hits_at(5) == (3, 2)
    assert [r.id for r in c.changed][:2] == ["q2", "q1"]  # largest change in RR first
    assert c.by_persona() == {"facts": (1, 0, 1), "frontline": (1, 1, 0)}
    text = format_comparison(c)
    assert re.search(r"better\s+q1\s+frontline\s+3\s+1\s+0\.333\s+1\.000\s+\+0\.667", text)
    assert "4 questions in both runs: 2 better, 1 worse, 1 unchanged" in text and "q3" not in text
    assert "q3" in format_comparison(c, show_same=True)


def test_old_run_files_stay_readable(tmp_path: Path) -> None:
    """A run written before per-question records: ranks from RR@10, and from `failing` below 10."""
    old = {"name": "full", "overall": {"MRR@10": 0.5}, "by_persona": {}, "by_tag": {}, "latency_p50_ms": 1,
           "latency_p95_ms": 2, "split": "dev", "date": "2025-12-01",
           "failing": [{"id": "q2", "persona": "trainer", "question": "where?", "first_rank": 17},
                       {"id": "q3", "persona": "facts", "question": "who?", "first_rank": None}],
           "per_query": {"q1": {"MRR@10": 0.25}, "q2": {"MRR@10": 0.0}, "q3": {"MRR@10": 0.0}}}
    path = tmp_path / "2025-12-01-full.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    run = load_run(path)
    assert not run.detailed
    assert {q.id: q.first_rank for q in run.questions.values()} == {"q1": 4, "q2": 17, "q3": None}
    assert run.questions["q2"].persona == "trainer" and run.questions["q1"].persona == "unknown"
    assert [q.id for q in run.failures(5)] == ["q3", "q2"]


def test_unknown_runs_are_a_clear_error(fabricated: Path) -> None:
    with pytest.raises(RunNotFoundError, match="2026-01-02-after"):
        resolve_run("2026-01-03-nothing", fabricated)


def test_cli_compare_prints_the_per_question_diff(fabricated: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from reportqa.cli import main

    monkeypatch.setenv("REPORTQA_REPORTS_DIR", str(fabricated))
    monkeypatch.setenv("REPORTQA_EVAL_DIR", str(tmp_path / "no-eval"))
    assert main(["eval", "--compare", "2026-01-01-before", str(fabricated / "2026-01-02-after.json")]) == 0
    out = capsys.readouterr().out
    expected = compare_runs(open_run("2026-01-01-before", fabricated), open_run("2026-01-02-after", fabricated))
    for row in expected.changed:
        assert re.search(rf"^{row.change}\s+{row.id}\s", out, re.M)
    assert f"{len(expected.better)} better, {len(expected.worse)} worse" in out
    assert main(["eval", "--failures", "2026-01-02-after"]) == 0
    failures = capsys.readouterr().out
    assert "q2" in failures and "not in top 50" in failures and "q1 " not in failures
    assert main(["eval", "--compare", "2026-01-01-before", "nope"]) == 1
    assert "no eval run 'nope'" in capsys.readouterr().err


# --- judgements: names, undo, review, export ----------------------------------------------------------------------
def test_undo_appends_a_retraction_of_that_evaluators_latest_judgement(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement("How long is a review?", "p1", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("how long is a review", "p1", False, "alice", "2026-01-01T10:01:00+00:00"))
    append_judgement(path, Judgement("How long is a review?", "p1", True, "bob", "2026-01-01T09:00:00+00:00"))
    retraction = retract_latest(path, "How long is a review?", "p1", "alice")
    assert retraction.retract and retraction.relevant is False  # alice's latest was "not relevant"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 and lines[-1]["retract"] is True and "retract" not in lines[0]  # append-only
    records = load_judgements(path)
    assert [r.status for r in review(records)] == ["standing", "undone", "standing", "undo"]
    assert [j.relevant for j in standing(records, "alice")] == [True]
    assert judgement_qrels(records, {"q1": "How long is a review?"}) == {"q1": {"p1": 1}}
    retract_latest(path, "How long is a review?", "p1", "alice")
    with pytest.raises(JudgementError, match="no standing judgement"):
        retract_latest(path, "How long is a review?", "p1", "alice")
    assert [j.who for j in standing(load_judgements(path))] == ["bob"]  # bob's is untouched
    assert [r.judgement.who for r in review(load_judgements(path), "alice")] == ["alice"] * 4


def test_two_undos_at_once_cancel_one_judgement_each(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement.now("q", "p1", True, "alice"))
    results: list[str] = []

    def undo() -> None:
        try:
            retract_latest(path, "q", "p1", "alice")
            results.append("ok")
        except JudgementError:
            results.append("nothing")

    threads = [threading.Thread(target=undo) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["nothing"] * 5 + ["ok"]
    assert sum(1 for j in load_judgements(path) if j.retract) == 1


def test_qrels_export_is_trec_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    append_judgement(path, Judgement("What is a CAWN?", "p1", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("what is a cawn", "p2", False, "bob", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("something else", "p3", True, "alice", "2026-01-01T10:00:00+00:00"))
    append_judgement(path, Judgement("What is a CAWN?", "p4", True, "alice", "2026-01-01T10:00:00+00:00"))
    retract_latest(path, "What is a CAWN?", "p4", "alice")
    records = load_judgements(path)
    lines = trec_qrels(records, {"a5": "What is a CAWN?"})
    assert lines == ["a5 0 p1 1", "a5 0 p2 0"]
    (tmp_path / "x.qrels").write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = {(q.query_id, q.doc_id): q.relevance for q in ir_measures.read_trec_qrels(str(tmp_path / "x.qrels"))}
    assert read == {("a5", "p1"): 1, ("a5", "p2"): 0}
    assert trec_qrels(records, {"a5": "What is a CAWN?"}, who="bob") == ["a5 0 p2 0"]
    everything = trec_qrels(records, {"a5": "What is a CAWN?"}, unmatched=True)
    assert len(everything) == 3 and any(re.fullmatch(r"j-[0-9a-f]{12} 0 p3 1", line) for line in everything)


# --- the web pages ----------------------------------------------------------------------
def test_workbench_lists_runs_with_personas_and_the_plot(client, eval_root: Path) -> None:
    page = client.get("/evaluator")
    assert page.status_code == 200
    text = page.text
    for config in CONFIGS:
        assert f"?run={run_ref(eval_root, config)}" in text
    chosen = block(text, "chosen-runs")  # the chosen date's runs: their personas and their own plot
    for persona in ("facts", "frontline", "trainer"):
        assert f">{persona}</th>" in chosen
    label = list_runs(eval_root / "eval" / "reports")[0].date
    assert f"{label}-recall.png" in chosen and f"alt=\"Hit at k curves for each configuration of {label}\"" in chosen
    assert "Latest evaluation on the dev split" in block(text, "latest-summary")


def test_failures_list_and_drill_down(client, eval_root: Path, fake_retriever) -> None:
    ref = run_ref(eval_root, "bm25")
    run = open_run(ref, eval_root / "eval" / "reports")
    page = client.get("/evaluator/run", params={"run": ref}).text
    failures = run.failures(5)
    assert failures and f"{len(failures)} questions without evidence in the top 5" in page
    for q in failures:
        assert f"id={q.id}" in page and q.rank_text in page
        for h in q.hits[:3]:
            assert h.words in page
    missing = client.get("/evaluator/question", params={"run": ref, "id": "a3"}).text
    assert "zebra xylophone quasar" in block(missing, "question", "p")
    assert "not in top 50" in block(missing, "recorded-rank", "strong")  # as recorded ...
    assert "not in top 20" in block(missing, "now-rank", "strong")  # ... and re-run now
    html = client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert "question_lexical" in html and "best_sentence" in html  # every candidate's features
    longest = max(run.questions.values(), key=lambda q: len(q.hits))
    assert len(longest.hits) > 3 and not longest.hits[-1].words  # runs keep words for the top 3 only ...
    page_text = client.get("/evaluator/question", params={"run": ref, "id": longest.id}).text
    described = page_text[page_text.index('id="recorded"'):page_text.index('data-testid="now"')]
    for h in longest.hits:  # ... and the drill-down describes the rest from the current index
        passage = fake_retriever.passage(h.passage_id)
        assert str(escape(" ".join(passage.text.split()[:6]))) in described
    now = fake_retriever.search("Operation Lantern issued notices", k=fake_retriever.settings.evaluator_live_depth,
                                pipeline=PIPELINES["bm25"])
    assert html.count('class="candidate card') == len(now) > 0
    assert f'data-passage="{now[0].passage.passage_id}"' in html
    assert client.get("/evaluator/question", params={"run": ref, "id": "nope"}).status_code == 404
    assert client.get("/evaluator/run", params={"run": "../../etc/passwd"}).status_code == 404


def test_compare_page_shows_the_diff_and_totals(client, eval_root: Path) -> None:
    a, b = run_ref(eval_root, "bm25"), run_ref(eval_root, "dense")
    c = compare_runs(open_run(a, eval_root / "eval" / "reports"), open_run(b, eval_root / "eval" / "reports"))
    html = client.get("/evaluator/compare", params={"a": a, "b": b, "all": "true"}).text
    assert f"{len(c.better)} better" in html and f"{len(c.worse)} worse" in html
    for row in c.rows:
        assert f'class="change-{row.change}"' in html and f"id={row.id}" in html
    assert client.get("/evaluator/compare", params={"a": a, "b": "missing"}).status_code == 404


def test_judging_toggle_name_judgement_and_undo_through_forms(client, wb_settings, fake_retriever) -> None:
    ref = run_ref(Path(wb_settings.eval_dir).parent, "bm25")
    assert "wb-judge" not in client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    response = post_form(client, "/evaluator/session", {"judging": "on", "who": "Alice Smith"})
    assert response.status_code == 303 and client.cookies["reportqa_judging"] == "1"
    html = client.get("/evaluator/question", params={"run": ref, "id": "a1"}).text
    assert "wb-judge" in html and 'value="Alice Smith"' in html
    pid = fake_retriever.search("Operation Lantern issued notices", k=1)[0].passage.passage_id
    back = f"/evaluator/question?run={ref}&id=a1"
    saved = post_form(client, "/evaluator/judgements", {"query": "Operation Lantern issued notices",
                                                        "passage_id": pid, "relevant": "true", "who": "Alice Smith",
                                                        "back": back}, follow=True)
    assert saved.status_code == 200 and "Saved:" in saved.text and "Alice Smith" in saved.text
    [record] = load_judgements(wb_settings.judgements_path)
    assert (record.who, record.passage_id, record.relevant) == ("Alice Smith", pid, True)
    review_page = client.get("/evaluator/judgements", params={"who": "Alice Smith"}).text
    assert "standing" in review_page and pid in review_page
    undone = post_form(client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                              "passage_id": pid, "who": "Alice Smith",
                                                              "back": "/evaluator/judgements"}, follow=True)
    assert undone.status_code == 200 and "Undone" in undone.text and "undone" in undone.text
    assert standing(load_judgements(wb_settings.judgements_path)) == []
    again = post_form(client, "/evaluator/judgements/undo", {"query": "Operation Lantern issued notices",
                                                             "passage_id": pid, "who": "Alice Smith"})
    assert again.status_code == 404
    # going elsewhere after a form is refused: only workbench pages
    away = post_form(client, "/evaluator/session", {"who": "A", "back": "//evil.example/x"})
    assert away.headers["location"].startswith("/evaluator?")


def test_api_judgement_with_name_and_undo(client, wb_settings, fake_retriever) -> None:
    pid = fake_retriever.passages[0].passage_id
    body = {"query": "hotel guests", "passage_id": pid, "relevant": True, "who": "Bea"}
    assert client.post("/api/judgements", json=body).json()["who"] == "Bea"
    undone = client.post("/api/judgements/undo", json={"query": "Hotel guests!", "passage_id": pid, "who": "Bea"})
    assert undone.status_code == 201 and undone.json()["retract"] is True
    assert client.post("/api/judgements/undo", json={"query": "hotel guests", "passage_id": pid,
                                                     "who": "Bea"}).status_code == 404


def test_qrels_download(client, wb_settings) -> None:
    append_judgement(wb_settings.judgements_path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    append_judgement(wb_settings.judgements_path, Judgement.now("random words", "p8", True, "Cy"))
    response = client.get("/evaluator/judgements.qrels")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert response.text == "a5 0 p9 1\n"
    assert len(client.get("/evaluator/judgements.qrels", params={"unmatched": "true"}).text.splitlines()) == 2


def test_writes_need_the_evaluator_setting(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"evaluator_mode": False}), fake_retriever)
    pid = fake_retriever.passages[0].passage_id
    assert client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True}).status_code == 403
    assert client.post("/api/judgements/undo", json={"query": "q", "passage_id": pid, "who": "a"}).status_code == 403
    for path, fields in (("/evaluator/jobs", {"configs": "bm25"}),
                         ("/evaluator/judgements", {"query": "q", "passage_id": pid, "relevant": "true", "who": "a"}),
                         ("/evaluator/judgements/undo", {"query": "q", "passage_id": pid, "who": "a"}),
                         ("/evaluator/session", {"judging": "on", "who": "a"})):
        assert post_form(client, path, fields).status_code == 403, path
    assert client.get("/evaluator").status_code == 200  # reading stays open
    assert not wb_settings.judgements_path.exists()


def test_forms_need_their_form_token(client) -> None:
    response = client.post("/evaluator/session", data={"judging": "on", "who": "a", "form_token": "forged"})
    assert response.status_code == 403 and "expired" in response.text


def test_the_workbench_is_behind_the_access_token(wb_settings, fake_retriever) -> None:
    client = client_for(wb_settings.model_copy(update={"api_token": SecretStr("s3cret")}), fake_retriever)
    assert client.get("/evaluator", headers={"accept": "application/json"}).status_code == 401
    assert client.get("/evaluator/judgements.qrels").status_code == 401
    assert client.get("/evaluator", headers={"authorization": "Bearer s3cret"}).status_code == 200


# --- eval runs from the page ----------------------------------------------------------------------
def _waiting(gate: Path, progress: Path) -> list[str]:
    """A stand-in job: reports progress, then waits until ``gate`` exists."""
    code = ("import json, pathlib, sys, time\n"
            f"pathlib.Path({str(progress)!r}).write_text(json.dumps({{'done': 1, 'total': 4, 'stage': 'bm25'}}))\n"
            f"while not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
            f"pathlib.Path({str(progress)!r}).write_text(json.dumps({{'done': 4, 'total': 4, 'stage': 'ask', "
            "'written': ['x-bm25.json']}))\n")
    return [sys.executable, "-c", code]


def test_one_job_at_a_time(tmp_path: Path) -> None:
    lock = tmp_path / "eval.lock"
    jobs, other_worker = EvalJobs(lock), EvalJobs(lock)
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    first = jobs.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    with pytest.raises(JobBusyError, match="already going"):
        jobs.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    with pytest.raises(JobBusyError, match="another server process"):  # the lock holds across processes
        other_worker.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    deadline = time.monotonic() + 10
    while jobs.status().done != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (jobs.status().done, jobs.status().total, jobs.status().percent) == (1, 4, 25)
    gate.touch()
    done = jobs.wait(20)
    assert done.id == first.id and done.state == "done" and done.written == ("x-bm25.json",)
    broken = [sys.executable, "-c", "import sys; print('no questions file'); sys.exit(3)"]
    assert jobs.start(broken, dict(os.environ), ["full"], "dev", progress).id == first.id + 1  # free again
    failed = jobs.wait(20)
    assert failed.state == "failed" and "exit 3" in failed.message and "no questions file" in failed.message


def test_the_subprocess_gets_this_servers_settings(wb_settings, monkeypatch) -> None:
    from reportqa.settings import Settings

    env = settings_env(wb_settings.model_copy(update={"api_token": SecretStr("never-passed")}))
    assert "REPORTQA_API_TOKEN" not in env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    again = Settings()
    for name in ("index_dir", "corpus_dir", "embedder", "reports_dir", "judgements_path", "eval_dir",
                 "chunk_target_tokens", "weights_path", "allowed_hosts", "evaluator_mode"):
        assert getattr(again, name) == getattr(wb_settings, name), name


def test_start_a_run_from_the_page(client, wb_settings, eval_root: Path, tmp_path: Path) -> None:
    settings = wb_settings.model_copy(update={"reports_dir": tmp_path / "reports"})
    client = client_for(settings, client.app.state.holder.current())
    jobs = client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
    # a run already committed today: the page-started run must leave every one of its files alone
    today = date.today().isoformat()
    settings.reports_dir.mkdir()
    committed = {}
    for source in (eval_root / "eval" / "reports").glob(f"{today}-*"):
        if source.is_file():
            (settings.reports_dir / source.name).write_bytes(source.read_bytes())
            committed[source.name] = source.read_bytes()
    assert f"{today}-bm25.json" in committed and f"{today}-summary.json" in committed
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    jobs.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    busy = post_form(client, "/evaluator/jobs", {"config_bm25": "on"})
    assert busy.status_code == 409 and "already going" in busy.text
    gate.touch()
    jobs.wait(20)
    started = post_form(client, "/evaluator/jobs", {"config_bm25": "on", "config_dense": "on"})
    assert started.status_code == 303 and started.headers["location"].endswith("/evaluator/job")
    status = jobs.wait(180)
    assert status.state == "done", status.message
    body = client.get("/api/evaluator/job").json()
    assert body["state"] == "done" and body["done"] == body["total"] == 2 * len(QUESTIONS)  # no ask slice: unticked
    assert {(r.date, r.config) for r in list_runs(settings.reports_dir)} == {
        (label, config) for label in (today, f"{today}.2") for config in ("bm25", "dense")}
    assert {f"{r.ref}.json" for r in list_runs(settings.reports_dir) if r.date != today} <= set(body["written"])
    for name, content in committed.items():  # nothing of the committed run was overwritten
        assert (settings.reports_dir / name).read_bytes() == content, name
    assert json.loads((settings.reports_dir / f"{today}-summary.json").read_text())["ask"] is not None
    assert (settings.reports_dir / f"{today}.2-recall.png").is_file()
    home = client.get("/evaluator").text  # the new run is the newest, with its own plot and summary
    assert f"{today}.2-recall.png" in block(home, "chosen-runs")
    assert client.get(f"/eval-reports/{today}.2-recall.png").status_code == 200
    new_run = client.get("/evaluator/run", params={"run": f"{today}.2-bm25"})
    assert new_run.status_code == 200
    assert client.get("/evaluator/compare", params={"a": f"{today}-bm25", "b": f"{today}.2-bm25"}).status_code == 200
    page = client.get("/evaluator/job").text
    assert "finished" in page and "http-equiv" not in page
    bad = post_form(client, "/evaluator/jobs", {"configs": "bm25 nonsense"})
    assert bad.status_code == 422 and "nonsense" in bad.text


def test_the_job_page_refreshes_while_a_run_goes(client, tmp_path: Path) -> None:
    jobs = client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    jobs.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    try:
        page = client.get("/evaluator/job")
        assert 'http-equiv="refresh"' in page.text and page.headers["refresh"] == "3"
        assert client.get("/api/evaluator/job").json()["state"] == "running"
    finally:
        gate.touch()
        jobs.wait(20)


# --- no run overwrites another ----------------------------------------------------------------------
def test_a_cli_run_never_overwrites_a_same_day_run(fabricated: Path) -> None:
    before = {p.name: p.read_bytes() for p in fabricated.iterdir()}
    again = [_result("before", {"q1": 1, "q2": 1})]
    written = write_reports(fabricated, again, None, "dev", 2, day="2026-01-01")
    assert {p.name for p in written} == {"2026-01-01.2-before.json", "2026-01-01.2-before.md",
                                         "2026-01-01.2-summary.json", "2026-01-01.2-summary.md",
                                         "2026-01-01.2-recall.png"}
    assert {p.name: p.read_bytes() for p in fabricated.iterdir() if p.name in before} == before
    for n in range(3, 11):
        write_reports(fabricated, again, None, "dev", 2, day="2026-01-01")
    labels = [r.date for r in list_runs(fabricated) if r.config == "before"]
    assert labels[:2] == ["2026-01-01.10", "2026-01-01.9"] and labels[-1] == "2026-01-01"  # newest first
    run = open_run("2026-01-01.2-before", fabricated)
    assert run.date == "2026-01-01.2" and run.questions["q1"].first_rank == 1
    assert not list(fabricated.glob(".eval-*"))  # no temp folder left behind
    [(summary, plot)] = latest_summaries(fabricated)
    assert summary.label == "2026-01-02" and plot == "2026-01-02-recall.png"


# --- unreadable files ------------------------------------------------------------------------------
BAD_RUNS = {
    "features-not-object": lambda d: d["questions"][0]["hits"][0].update(features=[1, 2]) or d,
    "per-query-not-object": lambda d: d["per_query"].update(q1=3) or d,
    "overall-not-object": lambda d: d.update(overall=[1, 2]) or d,
    "by-persona-null-values": lambda d: d.update(by_persona={"x": None}) or d,
    "questions-not-list": lambda d: d.update(questions=7) or d,
    "rank-text": lambda d: d["questions"][0].update(first_rank="two") or d,
}


def test_a_bad_run_file_is_listed_as_unreadable_not_a_500(fabricated: Path, wb_settings, fake_retriever) -> None:
    good = json.loads((fabricated / "2026-01-01-before.json").read_text())
    good["questions"][0]["hits"][0]["features"] = None  # a hit without features is read as having none
    (fabricated / "2026-01-01-before.json").write_text(json.dumps(good), encoding="utf-8")
    assert load_run(fabricated / "2026-01-01-before.json").questions["q1"].hits[0].features == {}
    for name, spoil in BAD_RUNS.items():
        path = fabricated / f"2026-02-01-{name}.json"
        path.write_text(json.dumps(spoil(json.loads(json.dumps(good)))), encoding="utf-8")
        with pytest.raises(RunFormatError):
            load_run(path)
    (fabricated / "2026-02-01-half.json").write_text(json.dumps(good)[:200], encoding="utf-8")
    (fabricated / "2026-02-01-summary.json").write_text('{"date": "2026-02', encoding="utf-8")
    (fabricated / "2026-02-02-summary.json").write_bytes(b"\xff\xfe not json")
    client = client_for(wb_settings.model_copy(update={"reports_dir": fabricated}), fake_retriever)
    page = client.get("/evaluator", params={"date": "2026-02-01"})
    assert page.status_code == 200
    runs = block(page.text, "runs", "table")
    assert runs.count('data-testid="unreadable"') == len(BAD_RUNS) + 1 and "2026-02-01-half.json" in runs
    assert "2026-01-02" in block(page.text, "latest-summary")  # the newest readable summary
    bad = client.get("/evaluator/run", params={"run": "2026-02-01-features-not-object"})
    assert bad.status_code == 422 and "cannot be read" in bad.text
    assert client.get("/evaluator/compare", params={"a": "2026-01-01-before",
                                                    "b": "2026-02-01-half"}).status_code == 422


def test_a_bad_byte_in_the_judgements_file_skips_that_line_only(client, wb_settings) -> None:
    path = wb_settings.judgements_path
    append_judgement(path, Judgement.now("what is a CAWN", "p9", True, "Cy"))
    with path.open("ab") as fh:
        fh.write(b'{"query": "caf\xe9", "passage_id": "p1", "relevant": true, "who": "Cy", "when": "2026-01-01"}\n')
    append_judgement(path, Judgement.now("what is a CAWN", "p8", False, "Cy"))
    assert [j.passage_id for j in load_judgements(path)] == ["p9", "p8"]
    assert client.get("/evaluator/judgements").status_code == 200
    assert client.get("/evaluator/judgements.qrels").text == "a5 0 p8 0\na5 0 p9 1\n"
    assert retract_latest(path, "what is a CAWN", "p8", "Cy").retract


def test_an_unreadable_judgements_file_is_a_503(wb_settings, fake_retriever, tmp_path: Path) -> None:
    folder = tmp_path / "judgements-as-folder"
    folder.mkdir()
    client = client_for(wb_settings.model_copy(update={"judgements_path": folder}), fake_retriever)
    for path in ("/evaluator/judgements", "/evaluator/judgements.qrels"):
        response = client.get(path)
        assert response.status_code == 503 and "cannot be read" in response.text, path


# --- one evaluator name on every path ---------------------------------------------------------------
def test_evaluator_names_are_normalised_on_every_path(client, wb_settings, fake_retriever) -> None:
    pid = fake_retriever.passages[0].passage_id
    made = client.post("/api/judgements", json={"query": "hotel guests", "passage_id": pid, "relevant": True,
                                                "who": "  Alice   Smith "})
    assert made.status_code == 201 and made.json()["who"] == "Alice Smith"
    undone = post_form(client, "/evaluator/judgements/undo", {"query": "hotel guests", "passage_id": pid,
                                                              "who": "Alice  Smith"})
    assert undone.status_code == 303
    assert client.post("/api/judgements", json={"query": "q", "passage_id": pid, "relevant": True,
                                                 "who": " \t "}).status_code == 422
    # an older line whose name has a tab is read, as the same evaluator, not dropped
    with wb_settings.judgements_path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"query": "what is a CAWN", "passage_id": "p7", "relevant": True,
                             "who": "Alice\tSmith", "when": "2026-01-01T00:00:00+00:00"}) + "\n")
    records = load_judgements(wb_settings.judgements_path)
    assert records[-1].who == "Alice Smith"
    assert [r.judgement.passage_id for r in review(records, "Alice  Smith")] == [pid, pid, "p7"]
    assert "p7" in client.get("/evaluator/judgements", params={"who": "Alice\tSmith"}).text
    again = client.post("/api/judgements/undo", json={"query": "what is a CAWN", "passage_id": "p7",
                                                      "who": "Alice Smith"})
    assert again.status_code == 201
    assert normalise_name("a\u200bb  c") == "a b c" and clean_name("x\ty") == "x y"


# --- the sealed split: headline numbers only ---------------------------------------------------------
def test_sealed_runs_show_only_headline_numbers(wb_settings, fake_retriever, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, [_result("before", {"q1": 3, "q2": 1})], None, "dev", 2, day="2026-01-01")
    write_reports(reports / "sealed", [_result("full", {"q1": 30, "q2": None})], None, "sealed", 2,
                  day="2026-01-02")
    client = client_for(wb_settings.model_copy(update={"reports_dir": reports}), fake_retriever)
    run = client.get("/evaluator/run", params={"run": "sealed/2026-01-02-full"})
    assert run.status_code == 200 and 'data-testid="headline-only"' in run.text
    assert "frontline" in block(run.text, "run-personas", "table")  # the per-persona numbers are there ...
    assert "question q1" not in run.text and 'data-testid="failures"' not in run.text  # ... the questions not
    question = client.get("/evaluator/question", params={"run": "sealed/2026-01-02-full", "id": "q1"})
    assert question.status_code == 403 and "held back" in question.text and "question q1" not in question.text
    compare = client.get("/evaluator/compare", params={"a": "2026-01-01-before", "b": "sealed/2026-01-02-full"})
    assert compare.status_code == 403 and "question q1" not in compare.text
    form = client.get("/evaluator/compare").text
    assert "2026-01-01-before" in form and "sealed/" not in form
    home = client.get("/evaluator", params={"date": "2026-01-02", "split": "sealed"})
    assert home.status_code == 200 and "sealed/2026-01-02-full" in home.text


# --- the eval job: lock, status, environment ---------------------------------------------------------
def test_the_run_lock_is_held_by_the_eval_process_too(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    jobs = runner_for(reports)
    assert jobs is runner_for(reports) and jobs.lock_path == reports.resolve() / ".eval-job.lock"
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    # the eval process leaves a child behind and exits: the watcher lets go, the child still holds the lock
    waiter = f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
    code = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {waiter!r}], close_fds=False)\n"
    jobs.start([sys.executable, "-c", code], dict(os.environ), ["bm25"], "dev", progress)
    finished = jobs.wait(20)
    assert finished.state == "done", finished.message
    with pytest.raises(JobBusyError, match="already going"):
        EvalJobs(jobs.lock_path).start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    gate.touch()
    deadline = time.monotonic() + 10
    while jobs._held() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not jobs._held()


def test_the_run_lock_is_never_opened_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep", encoding="utf-8")
    lock = tmp_path / "reports" / ".eval-job.lock"
    lock.parent.mkdir()
    lock.symlink_to(target)
    with pytest.raises(OSError):
        EvalJobs(lock).start([sys.executable, "-c", "pass"], dict(os.environ), ["bm25"], "dev",
                             tmp_path / "progress.json")
    assert target.read_text(encoding="utf-8") == "keep"


def test_every_worker_sees_the_same_job_status(tmp_path: Path) -> None:
    lock = tmp_path / "eval.lock"
    jobs, other_worker = EvalJobs(lock), EvalJobs(lock)
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    started = jobs.start(_waiting(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    deadline = time.monotonic() + 10
    while other_worker.status() is None or other_worker.status().done != 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    seen = other_worker.status()
    assert (seen.id, seen.state, seen.total) == (started.id, "running", 4)
    gate.touch()
    jobs.wait(20)
    assert other_worker.status().state == "done" and other_worker.status().written == ("x-bm25.json",)


def test_the_eval_process_never_gets_the_api_token(wb_settings, monkeypatch, tmp_path: Path) -> None:
    import web.eval_jobs

    seen: dict = {}

    class FakeProcess:
        pid, returncode = 4242, 0

        def __init__(self, command, **kwargs) -> None:
            seen.update(kwargs)

        def poll(self) -> int:
            return 0

    monkeypatch.setenv("REPORTQA_API_TOKEN", "never-passed")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    monkeypatch.setattr(web.eval_jobs.subprocess, "Popen", FakeProcess)
    settings = wb_settings.model_copy(update={"api_token": SecretStr("never-passed"),
                                              "reports_dir": tmp_path / "reports"})
    jobs = runner_for(settings.reports_dir)
    jobs.start_eval(settings, ["bm25"], "dev", with_ask=False)
    jobs.wait(10)
    env = seen["env"]
    assert "REPORTQA_API_TOKEN" not in env and "never-passed" not in env.values()
    assert env["SOMETHING_ELSE"] == "kept" and env["REPORTQA_REPORTS_DIR"] == str(settings.reports_dir)
    assert len(seen["pass_fds"]) == 1  # the locked file goes to the eval process
