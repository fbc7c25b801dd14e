"""The evaluation harness: metrics agree with ir-measures, spans exist, qrels, judgements, reports."""

from __future__ import annotations

import json
from pathlib import Path

import ir_measures
import pytest
from eval_fixtures import CAPTION, TABLE_DOC, table_passages
from ir_measures import RR, R, Success, nDCG

from eval.evaluate import evaluate, qrels_for
from eval.metrics import aggregate, first_relevant_rank, per_query, percentile
from eval.qrels import build_qrels, span_passages
from eval.questions import Evidence, Question, QuestionSetError, check_evidence, load_questions, locate
from eval.report import write_reports
from reportqa.judgements import Judgement, append_judgement
from reportqa.records import Passage
from reportqa.run_files import AskSummary, ConfigRun, FailingQuestion
from reportqa.settings import PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"

QRELS = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}, "q3": {"x": 1}}
RUN = {"q1": {"a": 3.0, "z": 2.0, "b": 1.0}, "q2": {"d": 2.0, "c": 1.0}}


# --- metrics --------------------------------------------------------------------------------------------
def test_metrics_known_answers() -> None:
    values = per_query(QRELS, RUN)
    assert values["q1"]["Hit@1"] == 1.0 and values["q2"]["Hit@1"] == 0.0 and values["q3"]["Hit@10"] == 0.0
    assert values["q2"]["MRR@10"] == pytest.approx(0.5)
    assert values["q1"]["R@5"] == 1.0 and values["q3"]["R@5"] == 0.0
    overall = aggregate(values)
    assert overall["Hit@1"] == pytest.approx(1 / 3)
    assert overall["Hit@3"] == pytest.approx(2 / 3)
    assert overall["MRR@10"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_metrics_agree_with_ir_measures() -> None:
    ours = aggregate(per_query(QRELS, RUN))
    theirs = ir_measures.calc_aggregate([Success @ 1, Success @ 3, R @ 5, RR @ 10, nDCG @ 10], QRELS, RUN)
    assert ours["Hit@1"] == pytest.approx(theirs[Success @ 1])
    assert ours["Hit@3"] == pytest.approx(theirs[Success @ 3])
    assert ours["R@5"] == pytest.approx(theirs[R @ 5])
    assert ours["MRR@10"] == pytest.approx(theirs[RR @ 10])
    assert ours["nDCG@10"] == pytest.approx(theirs[nDCG @ 10])


def test_rank_and_percentile_helpers() -> None:
    assert first_relevant_rank({"b": 1}, ["a", "b"]) == 2
    assert first_relevant_rank({"b": 0}, ["a", "b"]) is None
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0


# --- question set and qrels --------------------------------------------------------------------------------
def test_every_evidence_span_exists_in_the_corpus(real_documents) -> None:
    """Every quote is found; the 6-25 word guide holds for questions written for dev (former sealed sets,
    tagged sealed-<date>, were written to a looser guide)."""
    questions = load_questions(QUESTIONS)
    former_sealed = {q.id for q in questions if any(t.startswith("sealed-") for t in q.tags)}
    problems = check_evidence(questions, {k: d.text for k, d in real_documents.items()})
    assert [p for p in problems if "words" not in p or p.split(":")[0] not in former_sealed] == []


def test_question_set_shape() -> None:
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 150
    assert sum(1 for q in questions if q.persona == "unanswerable") >= 20
    assert {q.split for q in questions} == {"dev"}  # the heldout split was retired into dev
    sealed = load_questions(QUESTIONS.parent / "sealed")
    assert len(sealed) >= 150 and {q.split for q in sealed} == {"sealed"}
    assert sum(1 for q in sealed if q.persona == "unanswerable" and "on-topic" in q.tags) >= 30
    assert not {q.id for q in sealed} & {q.id for q in questions}


def test_every_sealed_evidence_span_is_found(real_documents) -> None:
    """Sealed quotes are longer than dev's (the 6-25 word guide is for dev), but each must be found."""
    sealed = load_questions(QUESTIONS.parent / "sealed")
    problems = check_evidence(sealed, {k: d.text for k, d in real_documents.items()})
    assert [p.split(":")[0] for p in problems if "words" not in p] == []


def test_invalid_question_lines_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "x", "split": "train", "persona": "facts", "tags": [], "question": "q",
                                "answer": "", "evidence": []}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="q.jsonl:1: split"):
        load_questions(path)


def test_locate_and_span_credit() -> None:
    text = "First sentence here. The quick brown\nfox jumps over-the lazy dog. End."
    assert locate("quick brown fox jumps over the lazy dog", text) == [(25, 64)]
    passages = [Passage("p1", "d", "text", (), 0, 40, ""), Passage("p2", "d", "text", (), 30, 70, ""),
                Passage("p3", "d", "text", (), 20, 70, "")]
    assert span_passages((25, 64), passages) == ["p3"]
    assert span_passages((25, 64), passages[:2]) == ["p2"]  # none holds it all: the one with most of it


def _quoting(quote: str) -> Question:
    return Question("t8", "dev", "trainer", (), "which table shows where orders are recorded", "",
                    (Evidence("d", quote),))


def test_a_caption_quote_credits_every_passage_shown_with_the_caption() -> None:
    """A row rendered with its table's caption, and a later part of the table that repeats it, hold a quote
    of the caption although their offsets cover only their rows; another table's row does not."""
    qrels = build_qrels([_quoting(CAPTION)], {"d": TABLE_DOC}, table_passages())
    assert set(qrels["t8"]) == {"table", "row-pnc", "part-2"}


@pytest.mark.parametrize("quote", ["Table 8: Locations where orders and notices are recorded.",
                                   "TABLE 8 – locations where orders  and notices are\nrecorded",
                                   "Locations where orders and notices are recorded"])
def test_caption_quotes_match_whatever_their_label_punctuation_and_spacing(quote: str) -> None:
    qrels = build_qrels([_quoting(quote)], {"d": TABLE_DOC}, table_passages())
    assert {"row-pnc", "part-2"} <= set(qrels["t8"]) and "row-schools" not in qrels["t8"]


def test_a_quote_found_nowhere_in_the_report_still_credits_a_passage_quoting_it() -> None:
    """The rendered row says "Recording location: Police National Computer", which the report's text
    (cells apart, separated by a tab) says only with the header elsewhere."""
    qrels = build_qrels([_quoting("Recording location: Police National Computer; No. of respondents: 93")],
                        {"d": TABLE_DOC}, table_passages())
    assert qrels["t8"] == {"row-pnc": 1}


@pytest.mark.parametrize("quote", ["Appendix B: Survey respondents by police force",
                                   "Survey respondents by police force"])
def test_a_heading_quote_credits_the_passages_of_its_section(quote: str) -> None:
    """The heading stands between passages in the cleaned text and no passage's text repeats it."""
    heading = "Appendix B: Survey respondents by police force"
    document = f"Closing words.\n{heading}\nStrategic leads\nPolice force\tNo.\nKent\t1"
    start = document.index("Police force")
    passages = [Passage("before", "d", "text", ("8. Conclusions",), 0, 14, "Closing words."),
                Passage("table", "d", "table", (heading, "Strategic leads"), start, len(document),
                        document[start:]),
                Passage("row", "d", "table_row", (heading, "Strategic leads"), len(document) - 6, len(document),
                        "Strategic leads — Police force: Kent; No.: 1")]
    assert set(build_qrels([_quoting(quote)], {"d": document}, passages)["t8"]) == {"table", "row"}


def test_run_over_fake_index_gives_expected_numbers(fake_retriever, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "a1", "question": "Operation Lantern issued notices",
         "quote": "Operation Lantern issued 220 notices over four years"},
        {"id": "a2", "question": "zebra xylophone quasar",
         "quote": "Image hashing lets platforms find and remove known images quickly"},
    ]
    with questions.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"id": r["id"], "split": "dev", "persona": "facts", "tags": ["number"],
                                 "question": r["question"], "answer": "", "evidence": [
                                     {"doc_id": "alpha-review", "quote": r["quote"]}]}) + "\n")
        fh.write(json.dumps({"id": "u1", "split": "dev", "persona": "unanswerable", "tags": [],
                             "question": "What is the capital of Peru?", "answer": "", "evidence": []}) + "\n")
    outcome = evaluate(fake_retriever, questions, "dev", ["bm25"], tmp_path / "reports")
    result = outcome.results[0]
    assert result.overall["Hit@1"] == pytest.approx(0.5)
    assert result.overall["MRR@10"] == pytest.approx(0.5)
    assert [f.id for f in result.failing] == ["a2"]
    assert outcome.ask.unanswerable == 1 and outcome.ask.answered_unanswerable == 0.0
    assert outcome.ask.outcomes["unanswerable"]["not_covered"] == 1  # Peru: a name the reports never use
    names = {p.name for p in outcome.written}
    day = next(iter(names))[:10]
    assert {f"{day}-bm25.md", f"{day}-bm25.json", f"{day}-summary.md", f"{day}-recall.png"} <= names


def test_report_writer_produces_files(tmp_path: Path) -> None:
    overall = {m: 0.5 for m in ("Hit@1", "Hit@3", "Hit@5", "Hit@10", "R@1", "R@3", "R@5", "R@10", "MRR@10",
                                "nDCG@10")}
    result = ConfigRun("hybrid", overall, {"facts": overall}, {"table": overall}, 10.0, 20.0,
                       (FailingQuestion("q9", "facts", "where?", 7),), {})
    ask = AskSummary(10, 2, {"facts": {"answer": 8, "closest": 2, "not_covered": 0},
                             "unanswerable": {"answer": 1, "closest": 0, "not_covered": 1}},
                     0.5, 0.0, 0.2, 0.7, 0.875, 12.0, 30.0, ())
    written = write_reports(tmp_path, [result], ask, "dev", 12, day="2026-01-01")
    md = (tmp_path / "2026-01-01-hybrid.md").read_text(encoding="utf-8")
    assert "![Hit@k curves](2026-01-01-recall.png)" in md and "q9 (facts) first relevant rank: 7" in md
    assert (tmp_path / "2026-01-01-recall.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((tmp_path / "2026-01-01-summary.json").read_text(encoding="utf-8"))
    assert summary["configs"]["hybrid"]["overall"]["Hit@5"] == 0.5 and summary["ask"]["answered_unanswerable"] == 0.5
    assert len(written) == 5


# --- judgements (the store itself: tests/test_judgements.py) -----------------------------------------------------
def test_judgements_feed_eval_qrels(fake_retriever, tmp_path: Path) -> None:
    questions = load_questions(QUESTIONS)[:3]
    path = tmp_path / "j.jsonl"
    pid = fake_retriever.reader.passages[0].passage_id
    append_judgement(path, Judgement.now(questions[0].question, pid, True, "tester"))
    assert qrels_for(fake_retriever, questions, path)[questions[0].id][pid] == 1


def test_regression_compare_names_each_difference() -> None:
    from eval.regression import compare

    before = [{"id": "q1", "full": [["p1", 1.0, []]], "ask": {"abstained": False}}, {"id": "q2", "full": []}]
    after = [{"id": "q1", "full": [["p2", 1.0, []]], "ask": {"abstained": False}}, {"id": "q3", "full": []}]
    assert compare(before, before) == []
    assert compare(before, after) == ["q2: only in the first snapshot", "q3: only in the second snapshot",
                                      "q1: full differs"]


def test_regression_compare_takes_float_noise_within_a_tolerance() -> None:
    from eval.regression import compare

    before = [{"id": "q", "full": [["p1", 0.5, [[0, 9]]], ["p2", 0.25, []]],
               "ask": {"abstained": False, "confidence": 0.75, "citations": ["p1"]}}]
    noise = [{"id": "q", "full": [["p1", 0.500002, [[0, 9]]], ["p2", 0.249999, []]],
              "ask": {"abstained": False, "confidence": 0.750001, "citations": ["p1"]}}]
    moved = [{"id": "q", "full": [["p2", 0.5, []], ["p1", 0.25, [[0, 9]]]],
              "ask": {"abstained": False, "confidence": 0.75, "citations": ["p2"]}}]
    assert compare(before, noise) == ["q: ask differs (confidence)", "q: full differs"]
    assert compare(before, noise, tolerance=1e-5) == []
    assert compare(before, moved, tolerance=1e-5) == ["q: ask differs (citations)", "q: full differs"]

