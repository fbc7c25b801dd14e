"""Eval runs read back (reportqa/runs.py): what a run records per question, its failures, two runs
compared question by question, runs written before per-question records, a same-day run that
never overwrites another, and the latest summaries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from workbench_support import CONFIGS, a_config_run, run_ref

from eval.compare import format_comparison
from eval.report import write_reports
from reportqa.runs import RunNotFoundError, compare_runs, latest_summaries, list_runs, load_run, open_run, resolve_run


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


def test_a_cli_run_never_overwrites_a_same_day_run(fabricated: Path) -> None:
    before = {p.name: p.read_bytes() for p in fabricated.iterdir()}
    again = [a_config_run("before", {"q1": 1, "q2": 1})]
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
