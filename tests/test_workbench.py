"""The evaluator workbench: run records, comparing runs, failures, judgements with names and undo,
qrels export, eval runs from the page (one at a time), permissions, and `reportqa eval --compare`."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
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
from eval.runner import ConfigResult, QuestionRecord, RecordedHit
from reportqa.judgements import (
    Judgement,
    JudgementError,
    append_judgement,
    judgement_qrels,
    load_judgements,
    retract_latest,
    review,
    standing,
    trec_qrels,
)
from reportqa.runs import RunNotFoundError, compare_runs, list_runs, load_run, open_run, resolve_run
from retriever.pipeline import PIPELINES
from web.eval_jobs import EvalJobs, JobBusyError, settings_env
from web.workbench_auth import FORM_COOKIE

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
def _result(name: str, ranks: dict[str, int | None]) -> ConfigResult:
    per_query, questions, failing = {}, [], []
    for qid, rank in ranks.items():
        rr = 1 / rank if rank and rank <= 10 else 0.0
        per_query[qid] = {"MRR@10": rr, "Hit@5": float(bool(rank and rank <= 5))}
        hits = [RecordedHit(k, f"p{k}", 1.0 / k, k == rank, "alpha-review", "Alpha", "1. Intro", f"words {k}")
                for k in range(1, 4)]
        questions.append(QuestionRecord(qid, "frontline" if qid < "q3" else "facts", f"question {qid}?", rank,
                                        50, ["px"], hits))
        if rank is None or rank > 5:
            failing.append({"id": qid, "persona": "x", "question": f"question {qid}?", "first_rank": rank})
    overall = dict.fromkeys(("Hit@1", "Hit@3", "Hit@5", "Hit@10", "R@1", "R@3", "R@5", "R@10", "MRR@10",
                             "nDCG@10"), 0.5)
    return ConfigResult(name, overall, {"frontline": overall}, {}, 1.0, 2.0, failing, per_query, {}, questions)


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
    for persona in ("facts", "frontline", "trainer"):
        assert f">{persona}</th>" in text
    assert "-recall.png" in text and "Latest evaluation on the dev split" in text


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
    assert "zebra xylophone quasar" in missing and "As the run recorded it" in missing and "Now (re-run" in missing
    assert "not in top 50" in missing and "not in top 20" in missing  # recorded, and now
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


def test_start_a_run_from_the_page(client, wb_settings, tmp_path: Path) -> None:
    settings = wb_settings.model_copy(update={"reports_dir": tmp_path / "reports"})
    client = client_for(settings, client.app.state.holder.current())
    jobs = client.app.state.eval_jobs = EvalJobs(tmp_path / "eval.lock")
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
    assert {r.config for r in list_runs(settings.reports_dir)} == {"bm25", "dense"}
    assert {f"{r.ref}.json" for r in list_runs(settings.reports_dir)} <= set(body["written"])
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
