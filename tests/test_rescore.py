"""Re-scoring stored runs with the current evidence matching: a recorded hit that quotes the evidence
(a table row shown with the quoted caption) now counts, the measures, failures, Markdown and summary
follow, a question whose evidence did not change keeps its values, and older runs are named as skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_fixtures import CAPTION, TABLE_DOC, table_passages

from eval.metrics import MEASURES
from eval.qrels import build_qrels
from eval.questions import Evidence, Question
from eval.report import write_reports
from eval.rescore import rescore_label, rescore_run
from reportqa.run_files import ConfigRun, FailingQuestion, QuestionRecord, RecordedHit

LABEL = "2026-01-01"


def _question(qid: str, quote: str) -> Question:
    return Question(qid, "dev", "trainer", ("table",), "which table shows where orders are recorded", "",
                    (Evidence("d", quote),))


def _record(qid: str, ranked: list[str], relevant: tuple[str, ...], first: int | None) -> QuestionRecord:
    hits = tuple(RecordedHit(k, pid, 1.0 / k, pid in relevant) for k, pid in enumerate(ranked, start=1))
    return QuestionRecord(qid, "trainer", f"question {qid}", first, 50, relevant, hits)


def _stored_run(name: str = "full") -> ConfigRun:
    """What a run scored with offsets alone recorded: t8's evidence was the table passage only, not in the
    hits (rank 1 is a row that starts with the quoted caption); t9 found its own evidence first."""
    t8 = _record("t8", ["row-pnc", "prose", "row-schools"], ("table",), None)
    t9 = _record("t9", ["row-schools", "prose"], ("row-schools",), 1)
    zero, one = dict.fromkeys(MEASURES, 0.0), dict.fromkeys(MEASURES, 1.0)
    half = dict.fromkeys(MEASURES, 0.5)
    return ConfigRun(name, half, {"trainer": half}, {"table": half}, 1.0, 2.0,
                     (FailingQuestion("t8", "trainer", "question t8", None),), {"t8": zero, "t9": one}, (t8, t9))


def _qrels() -> dict:
    questions = [_question("t8", CAPTION), _question("t9", "Schools 14")]
    return build_qrels(questions, {"d": TABLE_DOC}, table_passages())


def test_a_hit_quoting_the_evidence_now_counts_and_the_measures_follow() -> None:
    rescored = rescore_run(_stored_run(), _qrels(), {"t8": ("table",), "t9": ("table",)}, 5)
    t8 = rescored.questions[0]
    assert t8.first_rank == 1 and t8.hits[0].relevant and not t8.hits[2].relevant
    assert {"table", "row-pnc", "part-2"} <= set(t8.relevant)
    assert rescored.per_query["t8"]["Hit@1"] == 1.0 and rescored.overall["Hit@1"] == 1.0
    assert rescored.per_query["t8"]["R@5"] == pytest.approx(1 / 3), "one of its three evidence passages shown"
    assert rescored.per_query["t9"] == dict.fromkeys(MEASURES, 1.0), "unchanged evidence keeps the run's values"
    assert rescored.failing == () and rescored.by_tag["table"]["Hit@1"] == 1.0


def test_a_first_rank_below_the_recorded_hits_is_kept() -> None:
    run = _stored_run()
    deep = _record("t8", ["prose"], ("table",), 30)
    rescored = rescore_run(ConfigRun(run.name, run.overall, {}, {}, 1.0, 2.0, (), {"t8": run.per_query["t8"]},
                                     (deep,)), _qrels(), {}, 5)
    assert rescored.questions[0].first_rank == 30 and [f.first_rank for f in rescored.failing] == [30]


def test_rescoring_a_stored_run_rewrites_its_files(tmp_path: Path) -> None:
    old = ConfigRun("old", dict.fromkeys(MEASURES, 0.25), {}, {}, 1.0, 2.0, (), {"t8": dict.fromkeys(MEASURES, 0.0)})
    write_reports(tmp_path, [_stored_run(), old], None, "dev", 2, day=LABEL)
    done, skipped = rescore_label(tmp_path, LABEL, _qrels(), {}, 5)
    assert [r.path.name for r in done] == [f"{LABEL}-full.json"] and done[0].found == ("t8",)
    assert [p.name for p in skipped] == [f"{LABEL}-old.json"], "a run without per-question records"
    assert "Hit@1 0.500 → 1.000" in done[0].line()
    stored = ConfigRun.read(tmp_path / f"{LABEL}-full.json")
    assert stored.questions[0].first_rank == 1 and stored.label == LABEL and stored.split == "dev"
    summary = json.loads((tmp_path / f"{LABEL}-summary.json").read_text(encoding="utf-8"))
    configs = summary["configs"]
    assert configs["full"]["overall"]["Hit@1"] == 1.0 and configs["old"]["overall"]["Hit@1"] == 0.25
    md = (tmp_path / f"{LABEL}-full.md").read_text(encoding="utf-8")
    assert "not in top 50" not in md and "| all | 1.000" in md
    assert "| full | 1.000" in (tmp_path / f"{LABEL}-summary.md").read_text(encoding="utf-8")
    again, _ = rescore_label(tmp_path, LABEL, _qrels(), {}, 5)
    assert again[0].found == () and again[0].after == again[0].before, "re-scoring twice changes nothing more"


def test_rescoring_a_fresh_run_over_its_own_index_changes_nothing(fake_retriever, tmp_path: Path) -> None:
    """A run scored with the current matching, re-scored: the split's runs are found, the index and the
    question set opened, and every figure stays as it was."""
    from workbench_support import write_questions

    from eval.evaluate import evaluate
    from eval.rescore import rescore_split

    questions = write_questions(tmp_path / "eval" / "questions.jsonl")
    settings = fake_retriever.settings.model_copy(update={"eval_dir": tmp_path / "eval",
                                                          "reports_dir": tmp_path / "eval" / "reports"})
    written = evaluate(fake_retriever, questions, "dev", ["bm25"], settings.reports_dir, with_ask=False).written
    run_path = next(p for p in written if p.name.endswith("-bm25.json"))
    before = ConfigRun.read(run_path)
    done, skipped = rescore_split(settings, "dev")
    assert [r.path for r in done] == [run_path] and skipped == []
    assert done[0].found == () and ConfigRun.read(run_path).per_query == before.per_query


def test_a_damaged_summary_does_not_stop_the_runs_being_rescored(tmp_path: Path) -> None:
    write_reports(tmp_path, [_stored_run()], None, "dev", 2, day=LABEL)
    (tmp_path / f"{LABEL}-summary.json").write_text('{"date": "2026-01-01", "spl', encoding="utf-8")
    done, _ = rescore_label(tmp_path, LABEL, _qrels(), {}, 5)
    assert done[0].found == ("t8",) and ConfigRun.read(tmp_path / f"{LABEL}-full.json").questions[0].first_rank == 1
